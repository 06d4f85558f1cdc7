#!/usr/bin/env bash
# Side-by-side whole-process comparison of this checkout against an
# earlier revision, in the same run, on the generated corpus.
#
#   bash bench/compare.sh REV [PAGES]     # e.g. bash bench/compare.sh 1de6df0 1000
#
# The earlier revision is built from a git worktree into the same target
# folder (its dependencies are reused), and its binary copied aside before
# this checkout's is rebuilt. hyperfine runs each pair in turn (median and
# the ratio), /usr/bin/time -v gives the peak memory of each. Results go to
# target/bench/compare.md.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: bench/compare.sh REV [PAGES]}
pages=${2:-1000}

need=()
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

OUT="$PWD/target/bench"
mkdir -p "$OUT"
wt=$(mktemp -d)
git worktree add -f -q "$wt" "$rev"
(cd "$wt" && CARGO_TARGET_DIR="$OLDPWD/target" cargo build --release --locked --quiet)
cp target/release/regdoc "$OUT/regdoc-base"
git worktree remove --force "$wt"
cargo build --release --locked --quiet
cargo run --release --locked --quiet --example gendocs -- target/bench-corpus "$pages" >/dev/null

B="$OUT/regdoc-base"
N="$PWD/target/release/regdoc"
d="$PWD/target/bench-corpus/p$pages"
results="$OUT/compare.md"
{
  echo "# regdoc $(git rev-parse --short HEAD) against $rev, $pages pages"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m)"
  echo
} >"$results"

pair() { # title, command with {R} for the binary
  local title=$1 cmd=$2
  echo "## $title" >>"$results"
  echo >>"$results"
  hyperfine --warmup 1 --min-runs 5 --style basic --export-markdown "$OUT/part.md" \
    -n "$rev" "${cmd//\{R\}/$B}" -n "this checkout" "${cmd//\{R\}/$N}" >/dev/null
  cat "$OUT/part.md" >>"$results"
  for bin in "$B" "$N"; do
    /usr/bin/time -f "%M" ${cmd//\{R\}/$bin} >/dev/null 2>"$OUT/time.txt" || true
    echo "- peak RSS ($([ "$bin" = "$B" ] && echo "$rev" || echo "this checkout")): $(($(tail -n 1 "$OUT/time.txt") / 1024)) MiB" >>"$results"
  done
  echo >>"$results"
}

pair "diff, 10 % of words edited, JSON out" "{R} diff $d/old.md $d/new-words-10pct.md --format json -o $OUT/d.json"
pair "diff, rewrite, JSON out" "{R} diff $d/old.md $d/new-rewrite.md --format json -o $OUT/d.json"
pair "diff, 10 %, CriticMarkup out" "{R} diff $d/old.md $d/new-words-10pct.md --format md -o $OUT/d.md"
pair "render (clean new version)" "{R} render $d/new-words-10pct.md -o $OUT/r.pdf"
pair "markup, 10 % edits" "{R} markup $d/old.md $d/new-words-10pct.md -o $OUT/m.pdf"
pair "markup, rewrite" "{R} markup $d/old.md $d/new-rewrite.md -o $OUT/w.pdf"
echo "results: $results"
