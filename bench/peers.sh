#!/usr/bin/env bash
# regdoc against the tools people reach for today, on the same generated
# pairs, in the same run, end to end (Markdown in, mark-up out):
#
#   git diff --no-index --word-diff       (text only, for scale)
#   pandiff old.md new.md -o diff.pdf     (npm pandiff + Debian pandoc + pdflatex)
#   pandoc → latexdiff → pdflatex         (Debian latexdiff, texlive)
#
#   bash bench/peers.sh [PAGES…]   (default 10 100)
#
# It installs what it needs; CI does not run it. hyperfine prints each
# ratio; results go to target/bench/peers.md.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
command -v pandoc >/dev/null 2>&1 || need+=(pandoc)
command -v latexdiff >/dev/null 2>&1 || need+=(latexdiff)
command -v pdflatex >/dev/null 2>&1 || need+=(texlive-latex-base texlive-latex-recommended texlive-plain-generic lmodern)
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
PEERS="$PWD/target/bench/peers-tools"
if [ ! -x "$PEERS/node_modules/.bin/pandiff" ]; then
  mkdir -p "$PEERS" && (cd "$PEERS" && npm install --silent pandiff@0.6.0 >/dev/null)
fi

sizes=("$@")
[ "${#sizes[@]}" -gt 0 ] || sizes=(10 100)
cargo build --release --locked --quiet
cargo run --release --locked --quiet --example gendocs -- target/bench-corpus "${sizes[@]}" >/dev/null

R="$PWD/target/release/regdoc"
C="$PWD/target/bench-corpus"
OUT="$PWD/target/bench/peers"
mkdir -p "$OUT"
results="$PWD/target/bench/peers.md"
echo "# regdoc against peers, $(date -u +%Y-%m-%d), $(nproc) cores" >"$results"

# latexdiff's end-to-end pipeline, as one command.
cat >"$OUT/latexdiff.sh" <<'SH'
set -e
cd "$1"
pandoc "$2" -s -o old.tex
pandoc "$3" -s -o new.tex
latexdiff old.tex new.tex >diff.tex 2>/dev/null
pdflatex -interaction=nonstopmode -halt-on-error diff.tex >/dev/null
SH

for p in "${sizes[@]}"; do
  d="$C/p$p"
  for e in words-10pct rewrite; do
    echo >>"$results"
    echo "## $p pages, $e" >>"$results"
    echo >>"$results"
    hyperfine --warmup 1 --runs 3 --style basic -i --export-markdown "$OUT/part.md" \
      -n regdoc "$R markup $d/old.md $d/new-$e.md -o $OUT/regdoc.pdf" \
      -n "regdoc, one core" "env RAYON_NUM_THREADS=1 $R markup $d/old.md $d/new-$e.md -o $OUT/regdoc.pdf" \
      -n "git diff --word-diff" "git diff --no-index --word-diff $d/old.md $d/new-$e.md" \
      -n "pandiff → PDF" "$PEERS/node_modules/.bin/pandiff $d/old.md $d/new-$e.md -o $OUT/pandiff.pdf" \
      -n "latexdiff + pdflatex" "bash $OUT/latexdiff.sh $OUT $d/old.md $d/new-$e.md"
    cat "$OUT/part.md" >>"$results"
  done
done
echo "results: $results"
cat "$results"
