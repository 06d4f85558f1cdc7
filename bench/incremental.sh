#!/usr/bin/env bash
# A one-paragraph edit of a long draft, and how long regdoc takes to bring
# its PDFs up to date: `regdoc build` as a new process, and a running
# `regdoc watch`. Also a cold `build --force`, for scale.
#
#   bash bench/incremental.sh [PAGES]     (default 1000)
#
# The generated document has two versions (v1.0 approved, v1.1 draft), so
# an edit of v1.1 makes two PDFs out of date: v1.1's and the mark-up.
# Each run flips one word of paragraph 1.1.1 of v1.1 (a `--prepare` step),
# so every timed build has a real edit to catch. The watch is timed by the
# round it reports itself ("… in N ms") and, around it, from the moment
# the file is saved to the moment that line appears. Results go to
# target/bench/incremental.md.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v hyperfine >/dev/null 2>&1 || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null
}
p=${1:-1000}
cargo build --release --locked --quiet
cargo run --release --locked --quiet --example gendocs -- target/bench-corpus "$p" >/dev/null

R="$PWD/target/release/regdoc"
OUT="$PWD/target/bench/incremental"
rm -rf "$OUT"
mkdir -p "$OUT"
cp -r "target/bench-corpus/p$p/documents" "$OUT/documents"
draft="$OUT/documents/gen/v1.1.md"
results="$PWD/target/bench/incremental.md"

# Flips "Section has" ↔ "Section had" in the draft's first paragraph.
cat >"$OUT/edit.sh" <<'SH'
f=$1
if grep -q '^1\.1\.1 Section has ' "$f"; then
  sed -i 's/^1\.1\.1 Section has /1.1.1 Section had /' "$f"
else
  sed -i 's/^1\.1\.1 Section had /1.1.1 Section has /' "$f"
fi
SH

{
  echo "# A one-paragraph edit of a $p-page draft"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores; regdoc $("$R" --version | cut -d' ' -f2)"
  echo
} >"$results"

hyperfine --warmup 1 --min-runs 3 --style basic --export-markdown "$OUT/part.md" \
  -n "build --force (cold: 3 PDFs)" \
  "$R build --documents $OUT/documents --out $OUT/out --force --quiet" \
  -n "build after a one-paragraph edit (2 PDFs)" \
  --prepare "bash $OUT/edit.sh $draft" \
  "$R build --documents $OUT/documents --out $OUT/out --quiet" >/dev/null
cat "$OUT/part.md" >>"$results"

# The watch: started once; five edits, each waited for.
cd "$OUT"
"$R" watch --out "$OUT/watch-out" >"$OUT/watch.log" 2>"$OUT/watch.err" &
watch_pid=$!
trap 'kill $watch_pid 2>/dev/null || true' EXIT
wait_rounds() { # n: until the log has n round lines
  until [ "$(grep -c ' in [0-9]* ms$' "$OUT/watch.log" 2>/dev/null || true)" -ge "$1" ]; do
    sleep 0.02
  done
}
wait_rounds 1
echo >>"$results"
echo "| watch round after a one-paragraph edit | reported by watch | save → reported |" >>"$results"
echo "|---|---|---|" >>"$results"
for i in 1 2 3 4 5; do
  t0=$(date +%s%N)
  bash "$OUT/edit.sh" "$draft"
  wait_rounds $((i + 1))
  t1=$(date +%s%N)
  ms=$(grep ' in [0-9]* ms$' "$OUT/watch.log" | tail -n 1 | sed 's/.* in \([0-9]*\) ms$/\1/')
  echo "| edit $i | $ms ms | $(((t1 - t0) / 1000000)) ms |" >>"$results"
done
peak=$(grep VmHWM "/proc/$watch_pid/status" | awk '{print int($2 / 1024)}')
echo >>"$results"
echo "The watch process held at most $peak MiB." >>"$results"
kill $watch_pid
echo "results: $results"
cat "$results"
