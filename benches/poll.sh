#!/usr/bin/env bash
# Poller benchmark, on loopback (python3 -m http.server as the upstream):
#   1. ingest: `feedpub poll --force` of one upstream feed of 1,000 items (about 920 KB, Arabic
#      paragraphs with markup to sanitise): fetch + parse + sanitise + store, into a fresh store;
#   2. many sources: one feed with 1,000 `[[source]]`s (10 items each, one host, so the per-host
#      limit of 2 applies) polled once.
# Wall time and peak RSS come from GNU time -v; RUNS runs each (default 3), all printed.
#
#   benches/poll.sh                       # builds target/release/feedpub
#   FEEDPUB_BIN=path/to/feedpub RUNS=5 benches/poll.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-3}
if [ -z "${FEEDPUB_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release >&2)
  FEEDPUB_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/feedpub"
fi
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
T=$(mktemp -d)
UP=
cleanup() { [ -n "$UP" ] && kill "$UP" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
mkdir -p "$T/up" "$T/config" "$T/one/one" "$T/many/many"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$ROOT" "$T" "$PORT" <<'PY'
import html, sys
root, t, port = sys.argv[1], sys.argv[2], sys.argv[3]
para = open(root + "/feeds/russia-islamic-world/000_216685895bd1f649.txt", encoding="utf-8").read().split("\n")[0]
def feed(n):
    items = []
    for i in range(n):
        body = html.escape('<p dir="rtl" lang="ar">%s</p><p>%d <script>x()</script></p>' % (para, i))
        items.append("<item><guid>g-%d</guid><title>خبر رقم %d</title><link>https://wire.example/n/%d</link>"
                     "<pubDate>Fri, 17 Nov 2023 08:%02d:00 +0300</pubDate><description>%s</description></item>"
                     % (i, i, i, i % 60, body))
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>w</title>'
            '<link>https://wire.example/</link><description>d</description>%s</channel></rss>' % "".join(items))
open(t + "/up/big", "w", encoding="utf-8").write(feed(1000))
open(t + "/up/small", "w", encoding="utf-8").write(feed(10))
head = 'title = "Bench"\ndescription = "d"\nlanguage = "ar"\n'
open(t + "/one/one/feed.toml", "w").write(head + '[[source]]\nurl = "http://127.0.0.1:%s/big"\n' % port)
with open(t + "/many/many/feed.toml", "w") as f:
    f.write(head)
    for i in range(1000):
        f.write('[[source]]\nurl = "http://127.0.0.1:%s/small?n=%d"\n' % (port, i))
PY
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$T/up" >/dev/null 2>&1 &
UP=$!
for _ in $(seq 100); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/small')" 2>/dev/null && break; sleep 0.1; done
for which in one many; do
  sed -e "s#^feeds_dir = .*#feeds_dir = \"../$which\"#" "$ROOT/config/feedpub.toml" > "$T/config/$which.toml"
done
export FEEDPUB_ALLOW_PRIVATE_NETWORKS=true
echo "## feedpub poll on loopback ($(nproc) cores; $(git -C "$ROOT" rev-parse --short HEAD))"
echo
echo "| case | run | wall (s) | peak RSS (KB) | result |"
echo "|---|---:|---:|---:|---|"
for which in one many; do
  for run in $(seq "$RUNS"); do
    rm -f "$T/store.sqlite3"*
    FEEDPUB_DATABASE_URL="sqlite:$T/store.sqlite3" /usr/bin/time -v "$FEEDPUB_BIN" --config "$T/config/$which.toml" poll --force \
      >"$T/out" 2>"$T/err" || { cat "$T/err" >&2; exit 1; }
    wall=$(awk -F': ' '/Elapsed/ {print $2}' "$T/err" | awk -F: '{print $(NF-1)*60 + $NF}')
    rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$T/err")
    new=$(grep -o '[0-9]* new' "$T/out" | awk '{s+=$1} END {print s}')
    echo "| $which: $( [ $which = one ] && echo '1 source × 1,000 items' || echo '1,000 sources × 10 items') | $run | $wall | $rss | $new items stored |"
  done
done
