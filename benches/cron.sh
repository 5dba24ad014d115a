#!/usr/bin/env bash
# The cron case and the memory of a large site: a full `feedpub build` of FEEDS x ITEMS articles
# next to no-change rebuilds of the same (wall time, CPU, peak RSS, bytes written: the target is
# 0), then the peak RSS of `feedpub serve` holding that site in memory.
#
#   benches/cron.sh                            # 100 feeds x 1,000 articles, feeds of 100 items
#   FEEDS=2 ITEMS=50 RUNS=1 benches/cron.sh    # a quick look (what SMOKE=1 benches/run does)
#
# Environment: FEEDS (100), ITEMS (1000), LIMIT (100: items per feed document; every article
# still gets its page), RUNS (3 no-change builds), FEEDPUB_BIN (else cargo build --release),
# KEEP=1 keeps the temp dir. Needs GNU time and curl; strace (optional) counts every byte the
# no-change build writes, store included.
set -euo pipefail
FEEDS=${FEEDS:-100}
ITEMS=${ITEMS:-1000}
LIMIT=${LIMIT:-100}
RUNS=${RUNS:-3}
NAME=cron.sh
# shellcheck source=benches/lib.sh
. "$(dirname "$0")/lib.sh"

log "generating $FEEDS feeds x $ITEMS articles (feeds of $LIMIT items) in $T"
python3 "$ROOT/benches/gen-site.py" "$T" --feeds "$FEEDS" --items "$ITEMS" --limit "$LIMIT"
CONFIG=$T/feedpub.toml
INPUT=$(du -sb "$T/feeds" | cut -f1)


# A full build from nothing: a new store and an empty output folder.
log "full build"
/usr/bin/time -v -o "$T/full.time" "$BIN" --config "$CONFIG" build > "$T/full.out" 2>&1 \
  || { cat "$T/full.out" >&2; die "full build failed"; }
read -r FULL_WALL FULL_USER FULL_SYS FULL_RSS < <(times_of "$T/full.time")
FULL_LINE=$(grep 'files,' "$T/full.out")
FILES=$(find "$T/public" -type f | wc -l)
OUTPUT=$(du -sb "$T/public" | cut -f1)

# No-change rebuilds: nothing may be written, and no file's mtime may move.
touch "$T/marker"
sleep 1
for r in $(seq "$RUNS"); do
  log "no-change build $r/$RUNS"
  /usr/bin/time -v -o "$T/nochange.$r.time" "$BIN" --config "$CONFIG" build > "$T/nochange.$r.out" 2>&1 \
    || { cat "$T/nochange.$r.out" >&2; die "no-change build failed"; }
  times_of "$T/nochange.$r.time" > "$T/nochange.$r.parsed"
done
NC_LINE=$(grep 'files,' "$T/nochange.1.out")
CHANGED=$(find "$T/public" -newer "$T/marker" | wc -l)
col() { cat "$T"/nochange.*.parsed | awk -v c="$1" '{ print $c }' | median; }
mm() { cat "$T"/nochange.*.parsed | awk -v c="$1" 'NR == 1 || $c < lo { lo = $c } NR == 1 || $c > hi { hi = $c } END { print lo " / " hi }'; }
STRACE_BYTES="strace not installed"
if command -v strace >/dev/null; then
  # Every byte handed to the kernel for writing, by any thread, to any file (store included).
  strace -f -qq --seccomp-bpf -e trace=write,pwrite64,writev,pwritev,pwritev2 -e status=successful \
    -o "$T/strace.txt" "$BIN" --config "$CONFIG" build > /dev/null 2>&1
  STRACE_BYTES=$(awk '
    { n = $NF; fd = $2; sub(/^[a-z0-9]+\(/, "", fd); sub(/,.*/, "", fd) }
    n !~ /^[0-9]+$/ { next }
    fd == 1 || fd == 2 { out += n; oc++; next }
    { s += n; c++ }
    END { printf "%d bytes in %d calls to files, and %d bytes in %d calls to stdout/stderr (the summary lines)", s, c, out, oc }' "$T/strace.txt")
fi

# serve with the whole site in memory: ready, a few requests, SIGTERM; peak RSS.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log "serve on 127.0.0.1:$PORT"
/usr/bin/time -v -o "$T/serve.time" "$BIN" --config "$CONFIG" serve --listen "127.0.0.1:$PORT" > "$T/serve.out" 2>&1 &
SERVE_PID=$!
START=$(date +%s.%N)
for _ in $(seq 6000); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz" || true)" = 200 ] && break
  kill -0 "$SERVE_PID" 2>/dev/null || { cat "$T/serve.out" >&2; die "serve exited"; }
  sleep 0.1
done
READY=$(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
for p in feed-000/rss.xml feed-000/atom.xml feed-000/feed.json feed-000/0000.html ""; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --compressed "http://127.0.0.1:$PORT/$p")
  [ "$code" = 200 ] || die "serve answered $code for /$p"
done
SERVE_CHILD=$(pgrep -P "$SERVE_PID" || true)
kill -TERM "${SERVE_CHILD:-$SERVE_PID}"
wait "$SERVE_PID" || true
SERVE_PID=
read -r _ _ _ SERVE_RSS < <(times_of "$T/serve.time")

echo "### Cron: \`feedpub build\` of $FEEDS feeds x $ITEMS articles, then no change"
echo
echo "Input: $(printf "%'d" "$((FEEDS * ITEMS))") Markdown articles, $(awk -v b="$INPUT" 'BEGIN { printf "%.0f MB", b / 1e6 }'); feeds of the newest $LIMIT items; output $(printf "%'d" "$FILES") files, $(awk -v b="$OUTPUT" 'BEGIN { printf "%.0f MB", b / 1e6 }') (pages, feeds and their .gz/.br)."
echo
echo "| build | wall s | user s | sys s | peak RSS MB | written |"
echo "|---|---:|---:|---:|---:|---|"
printf '| full (new store, empty folder), 1 run | %s | %s | %s | %.0f | %s |\n' "$FULL_WALL" "$FULL_USER" "$FULL_SYS" \
  "$(awk -v k="$FULL_RSS" 'BEGIN { print k / 1024 }')" "${FULL_LINE#*: }"
printf '| no change, median of %s (min / max wall: %s) | %s | %s | %s | %.0f | %s |\n' "$RUNS" "$(mm 1)" "$(col 1)" \
  "$(col 2)" "$(col 3)" "$(awk -v k="$(col 4)" 'BEGIN { print k / 1024 }')" "${NC_LINE#*: }"
echo
echo "- Files whose mtime moved during the no-change builds: $CHANGED."
echo "- Everything one more no-change build wrote (strace: write, pwrite64, writev, pwritev), store and output alike: $STRACE_BYTES."
echo "- Ratio of wall times, full / no change: $(awk -v a="$FULL_WALL" -v b="$(col 1)" 'BEGIN { printf "%.1f", a / b }')×."
echo
echo "### Memory: \`feedpub serve\` from the same store"
echo
echo "- Peak RSS (GNU time -v, from start to SIGTERM): $(awk -v k="$SERVE_RSS" 'BEGIN { printf "%.0f MB", k / 1024 }'); ready (the feed documents and the index rendered; compression and pages follow) after $READY s."
echo
echo "Commands: \`benches/gen-site.py DIR --feeds $FEEDS --items $ITEMS --limit $LIMIT\`, \`/usr/bin/time -v feedpub --config DIR/feedpub.toml build\` (full, then $RUNS times with no change), \`strace -f --seccomp-bpf -e trace=write,pwrite64,writev,pwritev,pwritev2 feedpub ... build\`, \`/usr/bin/time -v feedpub ... serve\`."
echo
