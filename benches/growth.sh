#!/usr/bin/env bash
# How cost grows with the archive: the same figures at 1k, 10k and 100k articles (feeds of
# 1,000 articles, documents of the newest 100), so flat lines show as flat.
#
#   benches/growth.sh                      # SIZES="1000 10000 100000"
#   SIZES="200 400" benches/growth.sh      # a quick look (what SMOKE=1 benches/run does)
#
# Per size: a full build (new store, empty folder); RUNS no-change builds; RUNS one-article
# edits, each followed by a build (wall time and files written); `serve` from the same store:
# time to its first 200 on a feed, RSS then, RSS once its compressed variants are in, and RSS
# after 100 feed pages and 1,000 item pages were opened. Prints a Markdown table, writes the
# figures as TSV to $DATA (if set) and an SVG chart to $SVG (if set, via benches/plot-growth.py).
# Environment: SIZES, RUNS (3), FEEDPUB_BIN (else cargo build --release), KEEP=1 keeps the temp dir.
set -euo pipefail
SIZES=${SIZES:-1000 10000 100000}
RUNS=${RUNS:-3}
NAME=growth.sh
# shellcheck source=benches/lib.sh
. "$(dirname "$0")/lib.sh"

written() { sed -n 's/.* files, \([0-9]*\) written.*/\1/p' "$1"; }
rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

DATA_TSV=$T/growth.tsv
printf 'articles\tfull_s\tfull_mb\tnochange_s\tnochange_mb\tedit_s\tedit_written\tready_s\tready_mb\tcompressed_mb\tbrowsed_mb\n' > "$DATA_TSV"
for N in $SIZES; do
  if [ "$N" -ge 1000 ]; then FEEDS=$((N / 1000)); ITEMS=1000; else FEEDS=1; ITEMS=$N; fi
  S=$T/site-$N
  log "$N articles: generating $FEEDS feeds x $ITEMS"
  python3 "$ROOT/benches/gen-site.py" "$S" --feeds "$FEEDS" --items "$ITEMS" --limit 100
  CONFIG=$S/feedpub.toml
  log "$N: full build"
  /usr/bin/time -v -o "$S/full.time" "$BIN" --config "$CONFIG" build > "$S/full.out" 2>&1 || { cat "$S/full.out" >&2; die "full build"; }
  read -r FULL_WALL _ _ FULL_RSS < <(times_of "$S/full.time")
  # Out of the window where a just-written file's stamp is not trusted (see source/scan.rs).
  sleep 2
  for r in $(seq "$RUNS"); do
    /usr/bin/time -v -o "$S/nc.$r.time" "$BIN" --config "$CONFIG" build > "$S/nc.$r.out" 2>&1 || die "no-change build"
    [ "$(written "$S/nc.$r.out")" = 0 ] || die "a no-change build wrote files: $(cat "$S/nc.$r.out")"
    times_of "$S/nc.$r.time" > "$S/nc.$r.parsed"
  done
  NC_WALL=$(awk '{ print $1 }' "$S"/nc.*.parsed | median)
  NC_RSS=$(awk '{ print $4 }' "$S"/nc.*.parsed | median)
  # One article edited (the newest, a middle one, the oldest in turn), then a build.
  for r in $(seq "$RUNS"); do
    case $r in 1) i=$((ITEMS - 1)) ;; 2) i=$((ITEMS / 2)) ;; *) i=0 ;; esac
    f=$(printf '%s/feeds/feed-000/%04d.md' "$S" "$i")
    printf '\nتعديل رقم %s.\n' "$r" >> "$f"
    /usr/bin/time -v -o "$S/ed.$r.time" "$BIN" --config "$CONFIG" build > "$S/ed.$r.out" 2>&1 || die "edit build"
    grep -q '1 changed' "$S/ed.$r.out" || die "the edit was not seen: $(cat "$S/ed.$r.out")"
    read -r w _ _ _ < <(times_of "$S/ed.$r.time")
    echo "$w $(written "$S/ed.$r.out")" > "$S/ed.$r.parsed"
  done
  ED_WALL=$(awk '{ print $1 }' "$S"/ed.*.parsed | median)
  ED_FILES=$(awk '{ print $2 }' "$S"/ed.*.parsed | median)
  PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  log "$N: serve on 127.0.0.1:$PORT"
  START=$(date +%s.%N)
  "$BIN" --config "$CONFIG" serve --listen "127.0.0.1:$PORT" > "$S/serve.out" 2>&1 &
  SERVE_PID=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/feed-000/rss.xml" || true)" = 200 ]; do
    kill -0 "$SERVE_PID" 2>/dev/null || { cat "$S/serve.out" >&2; die "serve exited"; }
    sleep 0.01
  done
  READY=$(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
  READY_RSS=$(rss_kb "$SERVE_PID")
  n=0
  until curl -s -o /dev/null -w '%header{content-encoding}' -A "growth-$((n += 1))" -H 'Accept-Encoding: br' \
      "http://127.0.0.1:$PORT/feed-000/atom.xml" | grep -q br; do sleep 0.2; done
  COMP_RSS=$(rss_kb "$SERVE_PID")
  for f in $(seq 0 $((FEEDS < 100 ? FEEDS - 1 : 99))); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/$(printf 'feed-%03d' "$f")/"
  done
  for p in $(seq 0 999); do
    f=$((p % FEEDS)); i=$(((p * 7919) % ITEMS))
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/$(printf 'feed-%03d/%04d.html' "$f" "$i")")
    [ "$code" = 200 ] || die "page $f/$i answered $code"
  done
  BROWSED_RSS=$(rss_kb "$SERVE_PID")
  kill "$SERVE_PID"; wait "$SERVE_PID" || true; SERVE_PID=
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$N" "$FULL_WALL" "$(mb "$FULL_RSS")" "$NC_WALL" "$(mb "$NC_RSS")" \
    "$ED_WALL" "$ED_FILES" "$READY" "$(mb "$READY_RSS")" "$(mb "$COMP_RSS")" "$(mb "$BROWSED_RSS")" >> "$DATA_TSV"
  rm -rf "$S"
done

echo "### Growth: the same figures at $(echo "$SIZES" | sed 's/ /, /g') articles"
echo
echo "Feeds of 1,000 articles (documents of the newest 100), from \`benches/gen-site.py\`. Builds: wall time and peak RSS (GNU time -v), medians of $RUNS; one edit: an article's text changed, then \`build\` (the newest, a middle and the oldest article in turn); serve: first 200 on a feed after start, and its RSS then, once the compressed variants are in, and after 100 feed pages and 1,000 item pages were opened (the page cache holds 32 MB)."
echo
echo "| articles | full build s / MB | no-change build s / MB | one edit: build s / files written | serve ready s / MB | serve compressed MB | serve after browsing MB |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
tail -n +2 "$DATA_TSV" | while IFS=$'\t' read -r n fs fm ns nm es ew rs rm cm bm; do
  printf '| %s | %s / %s | %s / %s | %s / %s | %s / %s | %s | %s |\n' "$(printf "%'d" "$n")" "$fs" "$fm" "$ns" "$nm" "$es" "$ew" "$rs" "$rm" "$cm" "$bm"
done
echo
[ -n "${DATA:-}" ] && cp "$DATA_TSV" "$DATA"
[ -n "${SVG:-}" ] && python3 "$ROOT/benches/plot-growth.py" "$DATA_TSV" > "$SVG"
exit 0
