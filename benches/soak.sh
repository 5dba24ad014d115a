#!/usr/bin/env bash
# Soak: `feedpub serve` under steady load while its poller ingests new upstream items, for
# SOAK_SECONDS (default 600). Memory must stay flat: the sampled RSS at the end is compared
# with the RSS once warmed up (after the first poll round and the first minute of load).
#
#   - 20 feeds, each with one loopback upstream ([[source]], polled every minute by serve's
#     poller) of 50 items, one of which is revised every 15 s: every poll round stores updates
#     and re-renders, while the amount of content stays the same (new items would grow the site,
#     and memory with it, by design);
#   - wrk, 2 threads × 32 connections, rotating over every feed's RSS, Atom, JSON Feed and
#     index, a third of the requests conditional (If-None-Match: the ETag seen last) and half
#     asking for gzip;
#   - every 5 s: serve's VmRSS and VmHWM, threads, open files, and the stored item count
#     (/metrics), into a CSV printed at the end with a summary.
#
#   benches/soak.sh                         # builds target/release/feedpub, 10 minutes
#   SOAK_SECONDS=120 FEEDPUB_BIN=… benches/soak.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${SOAK_SECONDS:-600}
FEEDS=20
if [ -z "${FEEDPUB_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release >&2)
  FEEDPUB_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/feedpub"
fi
FEEDPUB_BIN=$(realpath "$FEEDPUB_BIN")
command -v wrk >/dev/null || { echo "soak.sh needs wrk" >&2; exit 1; }
T=$(mktemp -d)
UP= SERVE=
cleanup() { for p in $UP $SERVE; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
UPPORT=$(free_port)
PORT=$(free_port)
mkdir -p "$T/config" "$T/feeds" "$T/data"
cp -r "$ROOT/feeds/russia-islamic-world" "$T/feeds/"
sed -e "s#^listen = .*#listen = \"127.0.0.1:$PORT\"#" -e 's#^min_refetch_seconds = .*#min_refetch_seconds = 0#' \
  -e 's#^database_url = .*#database_url = "sqlite:../data/soak.sqlite3"#' "$ROOT/config/feedpub.toml" > "$T/config/feedpub.toml"
for i in $(seq "$FEEDS"); do
  mkdir -p "$T/feeds/soak-$i"
  printf 'title = "Soak %s"\ndescription = "d"\nlanguage = "ar"\n[[source]]\nurl = "http://127.0.0.1:%s/f/%s"\nmin_interval_minutes = 1\nmax_interval_minutes = 1\nlimit = 50\n' \
    "$i" "$UPPORT" "$i" > "$T/feeds/soak-$i/feed.toml"
done

# The upstream: items 0-49; at tick t (every 15 s) item t mod 50 gets its next revision.
python3 - "$UPPORT" "$ROOT" > "$T/upstream.log" 2>&1 <<'PY' &
import html, http.server, sys, time
port, root = int(sys.argv[1]), sys.argv[2]
para = open(root + "/feeds/russia-islamic-world/000_216685895bd1f649.txt", encoding="utf-8").read().split("\n")[0]
start = time.time()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        feed = self.path.rsplit("/", 1)[-1]
        tick = int((time.time() - start) // 15)
        items = []
        for k in range(50):
            rev = (tick - k) // 50 + 1 if tick >= k else 0
            stamp = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(start - 3600 + 60 * k))
            body = html.escape('<p dir="rtl" lang="ar">%s</p><p>%s/%d rev %d <script>x()</script></p>'
                               % (para, feed, k, rev))
            items.append("<item><guid>%s-%d</guid><title>خبر %d</title><link>https://wire.example/%s/%d</link>"
                         "<pubDate>%s</pubDate><description>%s</description></item>" % (feed, k, k, feed, k, stamp, body))
        doc = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>up %s</title>'
               '<link>https://wire.example/</link><description>d</description>%s</channel></rss>' % (feed, "".join(items)))
        data = doc.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
UP=$!

cd "$T"
"$FEEDPUB_BIN" --config config/feedpub.toml build >/dev/null
FEEDPUB_ALLOW_PRIVATE_NETWORKS=true "$FEEDPUB_BIN" --config config/feedpub.toml serve > serve.log 2>&1 &
SERVE=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

# wrk's paths: every feed's three formats and its index page.
{
  for slug in russia-islamic-world $(seq -f 'soak-%g' "$FEEDS"); do
    for f in rss.xml atom.xml feed.json index.html; do echo "/$slug/$f"; done
  done
} > paths.txt
cat > soak.lua <<'LUA'
local paths, etags, n = {}, {}, 0
for line in io.lines("paths.txt") do paths[#paths + 1] = line end
request = function()
  n = n + 1
  local p = paths[(n % #paths) + 1]
  local h = {}
  if n % 2 == 0 then h["Accept-Encoding"] = "gzip" end
  if n % 3 == 0 and etags[p] then h["If-None-Match"] = etags[p] end
  last = p
  return wrk.format("GET", p, h)
end
response = function(status, headers, body)
  if status == 200 and headers["ETag"] then etags[last] = headers["ETag"] end
end
LUA
wrk -t2 -c32 -d"${SECS}s" -s soak.lua "http://127.0.0.1:$PORT" > wrk.txt 2>&1 &
WRK=$!

echo "seconds,rss_kb,hwm_kb,threads,open_files,items" > samples.csv
begin=$(date +%s)
while kill -0 "$WRK" 2>/dev/null; do
  now=$(( $(date +%s) - begin ))
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVE/status")
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVE/status")
  thr=$(awk '/^Threads/ {print $2}' "/proc/$SERVE/status")
  fds=$(ls "/proc/$SERVE/fd" | wc -l)
  items=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^feedpub_items / {print $2}')
  echo "$now,$rss,$hwm,$thr,$fds,${items:-}" >> samples.csv
  sleep 5
done
wait "$WRK" || true
kill -TERM "$SERVE"
code=0
wait "$SERVE" || code=$?
SERVE=

echo "## soak: serve under load with polling, ${SECS} s ($(nproc) cores; $(git -C "$ROOT" rev-parse --short HEAD))"
echo
echo '```'
cat wrk.txt
echo '```'
echo
UPDATED=$(grep -o 'updated=[0-9]*' serve.log | awk -F= '{s += $2} END {print s + 0}')
python3 - samples.csv "$code" "$(grep -c 'polled' serve.log || true)" "$(grep -c 're-rendered' serve.log || true)" "$UPDATED" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
warm = [r for r in rows if int(r["seconds"]) >= 60] or rows
first, last = warm[0], rows[-1]
rss = [int(r["rss_kb"]) for r in warm]
print("| | at %s s (warm) | at %s s (end) | min | median | max |" % (first["seconds"], last["seconds"]))
print("|---|---:|---:|---:|---:|---:|")
print("| RSS (KB) | %s | %s | %d | %d | %d |" % (first["rss_kb"], last["rss_kb"], min(rss), statistics.median(rss), max(rss)))
for key in ("threads", "open_files", "items"):
    vals = [int(r[key]) for r in warm if r[key]]
    if vals:
        print("| %s | %s | %s | %d | %d | %d |" % (key, first[key], last[key], min(vals), statistics.median(vals), max(vals)))
print()
print("Peak RSS (VmHWM) %s KB. RSS change over the last minute: %+d KB. %s polls stored %s item revisions;"
      " %s re-renders; serve exited %s."
      % (last["hwm_kb"], int(last["rss_kb"]) - int(rows[max(0, len(rows) - 13)]["rss_kb"]), sys.argv[3], sys.argv[5],
         sys.argv[4], sys.argv[2]))
PY
cp samples.csv "${SOAK_CSV:-/dev/null}" 2>/dev/null || true
