#!/usr/bin/env bash
# Whole-process benchmarks of regdoc on generated documents.
#
#   bash bench/run.sh            # all sizes (10, 100, 1000 pages)
#   bash bench/run.sh 10 100     # some sizes
#
# One core against two: typst lays a long document's sections out on the
# cores rayon gives it (RAYON_NUM_THREADS=1 for one). Chunked against one
# compile: REGDOC_CHUNK_BYTES=0 turns chunking off. The one-paragraph
# edit, `build` against `watch`: bench/incremental.sh.
#
# Times come from hyperfine (median of several runs after a warm-up), peak
# memory from /usr/bin/time -v. Results go to target/bench/results.md; the
# numbers in BENCHMARKS.md were copied from there. The diff engine alone is
# measured by `cargo bench --bench diff`.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

sizes=("$@")
[ "${#sizes[@]}" -gt 0 ] || sizes=(10 100 1000)
cargo build --release --locked --quiet
cargo run --release --locked --quiet --example gendocs -- target/bench-corpus "${sizes[@]}" >/dev/null

R="$PWD/target/release/regdoc"
C="$PWD/target/bench-corpus"
OUT="$PWD/target/bench"
mkdir -p "$OUT"
results="$OUT/results.md"
{
  echo "# regdoc whole-process benchmarks"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m); regdoc $("$R" --version | cut -d' ' -f2)"
  echo
} >"$results"

bench() { # title, hyperfine args…
  local title=$1
  shift
  echo "## $title" >>"$results"
  echo >>"$results"
  hyperfine --warmup 1 --min-runs 5 --style basic --export-markdown "$OUT/part.md" "$@" >/dev/null
  cat "$OUT/part.md" >>"$results"
  echo >>"$results"
}

peak() { # label, command…
  local label=$1
  shift
  local kb
  /usr/bin/time -f "%M" "$@" >/dev/null 2>"$OUT/time.txt" || true
  kb=$(tail -n 1 "$OUT/time.txt")
  echo "| $label | $((kb / 1024)) MiB |" >>"$results"
}

bench "EMRR mark-up (v2.0 → v3.0), fonts included" \
  -n markup-emrr "$R markup emrr@2.0 emrr@3.0 -o $OUT/emrr-markup.pdf"

for p in "${sizes[@]}"; do
  d="$C/p$p"
  args=()
  for e in words-1pct words-10pct table-rows sections-moved rewrite; do
    args+=(-n "diff $e" "$R diff $d/old.md $d/new-$e.md --format json -o $OUT/d.json")
  done
  args+=(-i -n "git diff --word-diff (10%)" "git diff --no-index --word-diff $d/old.md $d/new-words-10pct.md")
  bench "Diff, $p pages (JSON out; git for scale)" "${args[@]}"
  bench "PDF, $p pages" \
    -n "render new (typst, clean)" "$R render $d/new-words-10pct.md -o $OUT/r.pdf" \
    -n "markup 10% edits" "$R markup $d/old.md $d/new-words-10pct.md -o $OUT/m.pdf" \
    -n "markup 10% edits, one compile (not chunked)" "env REGDOC_CHUNK_BYTES=0 $R markup $d/old.md $d/new-words-10pct.md -o $OUT/m.pdf" \
    -n "render new, one core" "env RAYON_NUM_THREADS=1 $R render $d/new-words-10pct.md -o $OUT/r.pdf" \
    -n "markup 10% edits, one core" "env RAYON_NUM_THREADS=1 $R markup $d/old.md $d/new-words-10pct.md -o $OUT/m.pdf" \
    -n "markup rewrite" "$R markup $d/old.md $d/new-rewrite.md -o $OUT/w.pdf" \
    -n "build --force (2 versions + mark-up)" "$R build --documents $d/documents --out $OUT/build --force --quiet"
done

{
  echo "## Peak memory"
  echo
  echo "| command | peak RSS |"
  echo "|---|---|"
} >>"$results"
peak "markup EMRR" "$R" markup emrr@2.0 emrr@3.0 -o "$OUT/emrr-markup.pdf"
for p in "${sizes[@]}"; do
  d="$C/p$p"
  peak "diff $p pages, 10% (JSON)" "$R" diff "$d/old.md" "$d/new-words-10pct.md" --format json -o "$OUT/d.json"
  peak "render $p pages" "$R" render "$d/new-words-10pct.md" -o "$OUT/r.pdf"
  peak "markup $p pages, 10%" "$R" markup "$d/old.md" "$d/new-words-10pct.md" -o "$OUT/m.pdf"
  peak "markup $p pages, 10%, one compile (not chunked)" env REGDOC_CHUNK_BYTES=0 "$R" markup "$d/old.md" "$d/new-words-10pct.md" -o "$OUT/m.pdf"
  peak "markup $p pages, rewrite" "$R" markup "$d/old.md" "$d/new-rewrite.md" -o "$OUT/w.pdf"
  peak "build $p pages (3 PDFs, 2 cores)" "$R" build --documents "$d/documents" --out "$OUT/build" --force --quiet
done
echo "results: $results"
