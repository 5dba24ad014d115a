#!/usr/bin/env bash
# The in-process comparisons (render vs feedgen; ingest and re-poll vs feedparser) in rounds. Each
# round runs `cargo bench --bench compare` and then benches/peers.py on the inputs it just wrote,
# so a round's two sides run minutes apart at most, and report.py quotes the median of the rounds'
# ratios. Why rounds: on this VM feedparser took 0.75 s to 1.24 s on one document within four
# minutes, and one feedpub pass followed by one peer pass put that drift into the ratio.
#
#   benches/inprocess.sh DIR     # writes DIR/feedpub.jsonl and DIR/peers.jsonl, one line per case and round
#
# Environment: ROUNDS (5), REPEATS per round (5), SIZES (100,1000,10000; ingest runs the ones up to 1,000).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DIR=${1:?usage: benches/inprocess.sh DIR}
ROUNDS=${ROUNDS:-5}
REPEATS=${REPEATS:-5}
SIZES=${SIZES:-100,1000,10000}
mkdir -p "$DIR"
: > "$DIR/feedpub.jsonl"
: > "$DIR/peers.jsonl"
cargo bench --quiet --bench compare --no-run 2>/dev/null
for round in $(seq 1 "$ROUNDS"); do
  echo ">> round $round of $ROUNDS" >&2
  cargo bench --quiet --bench compare -- --out "$DIR/cmp" --repeats "$REPEATS" --sizes "$SIZES" |
    sed "s/^{/{\"round\": $round, /" >> "$DIR/feedpub.jsonl"
  python3 benches/peers.py "$DIR/cmp" "$REPEATS" | sed "s/^{/{\"round\": $round, /" >> "$DIR/peers.jsonl"
done
