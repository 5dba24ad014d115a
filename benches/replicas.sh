#!/usr/bin/env bash
# N `serve` replicas on one PostgreSQL store, on loopback, with a private PostgreSQL cluster:
#   1. one polling round of SOURCES loopback upstream sources (default 1,000 = 10 feeds x 100,
#      ITEMS_PER_SOURCE items each) by 1 replica, then by 3 replicas on a fresh database:
#      upstream requests (must be one per source), round wall time (first upstream request ->
#      every item in the store), statements the replicas ran (pg_stat_statements), what each
#      replica fetched, their CPU seconds and re-renders, and what an idle tick (nothing due)
#      costs;
#   2. serve throughput of one replica on PostgreSQL against `serve` on SQLite, same site (the
#      shipped feeds/), each pinned to core 1 with one worker, wrk on core 0: 200 gzip and 304,
#      alternating, median req/s; plus the statements the PG replica ran during each wrk run;
#   3. ingest: `feedpub poll --force` of one source of BIG_ITEMS items (default 1,000) into a
#      fresh SQLite file and a fresh PG database, alternating, median wall (the process, to the
#      ms), items/s; then a second poll with nothing new.
#
#   benches/replicas.sh                                    # cargo build --release, full sizes (3 min)
#   FEEDPUB_BIN=target/release/feedpub benches/replicas.sh # skip the build
#   SMOKE=1 FEEDPUB_BIN=target/release/feedpub benches/replicas.sh   # tiny sizes, about 35 s
#
# Environment (all optional): SMOKE=1; PARTS (which measurements, default "1 2 3"); SOURCES,
# FEEDS, ITEMS_PER_SOURCE, UP_PORTS (upstream ports, all on 127.0.0.1), REPLICAS ("1 3"),
# IDLE_SECONDS; DURATION, WARMUP, RUNS, THREADS, CONNECTIONS (wrk); BIG_ITEMS; PG_FSYNC (on|off,
# default on); FEEDPUB_PG_BIN (the folder with initdb; default the newest
# /usr/lib/postgresql/*/bin); OUT_JSON (JSON lines appended there); KEEP=1 (keep the temp dir:
# configs, logs, raw wrk output).
#
# Everything listens on 127.0.0.1 only. The upstream is a Python ThreadingHTTPServer on UP_PORTS
# ports of 127.0.0.1; note that the poller's per-host limit (2 fetches at once) is keyed by host
# name without the port, so the sources are fetched 2 at a time per replica whatever UP_PORTS is.
# Needs PostgreSQL server binaries (with pg_stat_statements, else transactions are counted from
# pg_stat_database), python3, curl, wrk, taskset and GNU time. As root, the cluster runs as the
# user postgres (runuser).
set -euo pipefail
NAME=replicas
# shellcheck source=benches/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
START_SECONDS=$SECONDS
LOAD_START=$(cut -d" " -f1-3 /proc/loadavg)

SMOKE=${SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
  SOURCES=${SOURCES:-20}; FEEDS=${FEEDS:-2}; BIG_ITEMS=${BIG_ITEMS:-50}; DURATION=${DURATION:-1}
  WARMUP=${WARMUP:-1}; RUNS=${RUNS:-1}; IDLE_SECONDS=${IDLE_SECONDS:-2}; UP_PORTS=${UP_PORTS:-2}
else
  SOURCES=${SOURCES:-1000}; FEEDS=${FEEDS:-10}; BIG_ITEMS=${BIG_ITEMS:-1000}; DURATION=${DURATION:-10}
  WARMUP=${WARMUP:-2}; RUNS=${RUNS:-3}; IDLE_SECONDS=${IDLE_SECONDS:-5}; UP_PORTS=${UP_PORTS:-10}
fi
ITEMS_PER_SOURCE=${ITEMS_PER_SOURCE:-3}
REPLICAS=${REPLICAS:-1 3}
PARTS=${PARTS:-1 2 3}
part() { [[ " $PARTS " == *" $1 "* ]]; }
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
PG_FSYNC=${PG_FSYNC:-on}
ROUND_TIMEOUT=${ROUND_TIMEOUT:-900}
FEED_PATH=/russia-islamic-world/rss.xml
[ $((SOURCES % FEEDS)) = 0 ] || die "SOURCES ($SOURCES) must be a multiple of FEEDS ($FEEDS)"
[[ $PG_FSYNC == on || $PG_FSYNC == off ]] || die "PG_FSYNC must be on or off"
for tool in python3 wrk taskset; do command -v "$tool" >/dev/null || die "$tool is needed"; done
[ -x "$BIN" ] || die "no feedpub binary at $BIN"
[ "$(nproc)" -ge 2 ] || die "two cores are needed (server on core 1, wrk on core 0)"

# ---------------------------------------------------------------------------- cleanup
PIDS=()          # every background process started here (servers, upstream)
PGDIR=
PG_UP=0
stop_pid() { # pid: SIGTERM, up to 10 s, then SIGKILL
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
finish() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  if [ "$PG_UP" = 1 ]; then pg_tool pg_ctl -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true; fi
  if [ -n "$PGDIR" ]; then
    if [ "${KEEP:-0}" = 1 ]; then cp "$PGDIR/log" "$T/postgres.log" 2>/dev/null || true; fi
    rm -rf "$PGDIR"
  fi
  cleanup
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
HZ=$(getconf CLK_TCK)
cpu_s() { awk -v hz="$HZ" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; } # pid -> user+sys seconds so far
renders() { curl -s "http://$1/metrics" | awk '$1 == "feedpub_renders_total" { print $2; exit }'; } # serve address
since() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; } # t0 t1 -> seconds
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json_line() { [ -n "${OUT_JSON:-}" ] && echo "$1" >> "$OUT_JSON"; return 0; }

# ---------------------------------------------------------------------------- PostgreSQL
if [ -n "${FEEDPUB_PG_BIN:-}" ]; then PGBIN=$FEEDPUB_PG_BIN; else
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$PGBIN" ] || PGBIN=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
fi
[ -x "$PGBIN/initdb" ] || die "no PostgreSQL server binaries (initdb) found: apt-get install postgresql, or set FEEDPUB_PG_BIN"
AS_PG=()
[ "$(id -u)" = 0 ] && AS_PG=(runuser -u postgres --)
# /tmp rather than $T: the user postgres must reach it, and the socket path must stay short.
PGDIR=$(mktemp -d /tmp/feedpub-replicas-pg.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres: "$PGDIR"
pg_tool() { local tool=$1; shift; (cd "$PGDIR" && "${AS_PG[@]}" "$PGBIN/$tool" "$@"); }
STATEMENTS=pg_stat_statements
[ -f "$("$PGBIN/pg_config" --pkglibdir 2>/dev/null)/pg_stat_statements.so" ] || STATEMENTS=xact_commit
log "PostgreSQL: initdb in $PGDIR ($PGBIN), fsync=$PG_FSYNC, counting statements with $STATEMENTS"
pg_tool initdb -D "$PGDIR/data" -A trust -U postgres -E UTF8 --locale=C -N > "$PGDIR/initdb.log" 2>&1 \
  || { cat "$PGDIR/initdb.log" >&2; die "initdb failed"; }
PGPORT=$(free_port)
PG_OPTS="-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=$PG_FSYNC -c max_connections=200"
[ "$STATEMENTS" = pg_stat_statements ] && PG_OPTS+=" -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.max=10000"
pg_tool pg_ctl -D "$PGDIR/data" -o "$PG_OPTS" -l "$PGDIR/log" -w start > /dev/null \
  || { cat "$PGDIR/log" >&2; die "PostgreSQL did not start"; }
PG_UP=1
PSQL=("$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres)
q() { local db=$1; shift; "${PSQL[@]}" -d "$db" -c "$*"; }
# Two roles, so the replicas' statements can be told from the writer's (sync) and from ours.
q postgres "CREATE ROLE feedpub_writer SUPERUSER LOGIN; CREATE ROLE feedpub_replica SUPERUSER LOGIN"
[ "$STATEMENTS" = pg_stat_statements ] && q postgres "CREATE EXTENSION pg_stat_statements"
PG_VERSION=$(q postgres "SHOW server_version")
PG_SETTINGS=$(q postgres "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings
  WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'wal_level')")
new_db() { q postgres "CREATE DATABASE $1"; }
pg_url() { echo "postgres://$1@127.0.0.1:$PGPORT/$2"; } # role db
stmts_reset() {
  if [ "$STATEMENTS" = pg_stat_statements ]; then q postgres "SELECT pg_stat_statements_reset()" >/dev/null; fi
}
# Statements `role` ran in `db` since the last reset (pg_stat_statements), or, without the
# extension, the transactions committed in `db` by anyone (pg_stat_database, flushed ~1 s late).
stmts() { # db role
  if [ "$STATEMENTS" = pg_stat_statements ]; then
    q postgres "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                WHERE d.datname = '$1' AND s.userid = '$2'::regrole"
  else
    q postgres "SELECT pg_stat_clear_snapshot(); SELECT xact_commit FROM pg_stat_database WHERE datname = '$1'" | tail -1
  fi
}
commits() { # db role: COMMITs (transactions) since the reset; '-' without the extension
  if [ "$STATEMENTS" = pg_stat_statements ]; then
    q postgres "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                WHERE d.datname = '$1' AND s.userid = '$2'::regrole AND upper(s.query) LIKE 'COMMIT%'"
  else echo -; fi
}
stmts_top() { # db role file: the statements by calls, for the details
  [ "$STATEMENTS" = pg_stat_statements ] || return 0
  q postgres "SELECT lpad(s.calls::text, 6) || ' | ' || lpad(round(s.total_exec_time)::text, 6) || ' ms | '
                     || left(regexp_replace(s.query, '\s+', ' ', 'g'), 100)
              FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
              WHERE d.datname = '$1' AND s.userid = '$2'::regrole ORDER BY s.calls DESC LIMIT 25" > "$3"
}

# ---------------------------------------------------------------------------- upstream
# One Python process, UP_PORTS listening sockets on 127.0.0.1: /s/N is a small RSS feed of
# ITEMS_PER_SOURCE items, /big one of BIG_ITEMS items (the seed's Arabic paragraph with markup to
# sanitise, as poll.sh). It counts requests per path; /__stats reports, /__reset clears.
cat > "$T/upstream.py" <<'PY'
import email.utils, html, json, sys, threading, time, datetime
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
portfile, nports, per_source, big_items, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
para = open(seed, encoding="utf-8").read().split("\n")[0]
base = datetime.datetime(2023, 11, 17, 8, 0, tzinfo=datetime.timezone.utc)
def date(minutes):
    return email.utils.format_datetime(base - datetime.timedelta(minutes=minutes))
def doc(title, items):
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>%s</title>'
            '<link>https://wire.example/</link><description>d</description>%s</channel></rss>'
            % (title, "".join(items))).encode()
def small(n):
    return doc("wire %d" % n, ['<item><guid isPermaLink="false">s%d-%d</guid><title>خبر %d-%d</title>'
        '<link>https://wire.example/%d/%d</link><pubDate>%s</pubDate><description>نص %d-%d</description></item>'
        % (n, k, n, k, n, k, date(k), n, k) for k in range(per_source)])
BIG = doc("big", ['<item><guid>g-%d</guid><title>خبر رقم %d</title><link>https://wire.example/n/%d</link>'
    '<pubDate>%s</pubDate><description>%s</description></item>'
    % (i, i, i, date(i), html.escape('<p dir="rtl" lang="ar">%s</p><p>%d <script>x()</script></p>' % (para, i)))
    for i in range(big_items)])
lock = threading.Lock()
state = {"counts": {}, "first": None, "last": None}
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def reply(self, code, body, ctype="application/rss+xml"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        t = time.time()
        path = self.path
        if path == "/__stats":
            with lock:
                c = state["counts"]
                out = {"requests": sum(c.values()), "paths": len(c), "max_per_path": max(c.values(), default=0),
                       "repeated": sorted(p for p, v in c.items() if v > 1)[:20],
                       "first": state["first"], "last": state["last"]}
            return self.reply(200, json.dumps(out).encode(), "application/json")
        if path == "/__reset":
            with lock:
                state.update(counts={}, first=None, last=None)
            return self.reply(200, b"{}", "application/json")
        if path == "/big":
            body = BIG
        elif path.startswith("/s/") and path[3:].isdigit():
            body = small(int(path[3:]))
        else:
            return self.reply(404, b"not found", "text/plain")
        with lock:
            state["counts"][path] = state["counts"].get(path, 0) + 1
            if state["first"] is None: state["first"] = t
            state["last"] = t
        self.reply(200, body)
servers = [ThreadingHTTPServer(("127.0.0.1", 0), H) for _ in range(nports)]
for s in servers:
    s.daemon_threads = True
    threading.Thread(target=s.serve_forever, daemon=True).start()
with open(portfile + ".tmp", "w") as f:
    f.write(" ".join(str(s.server_address[1]) for s in servers))
import os; os.rename(portfile + ".tmp", portfile)
threading.Event().wait()
PY
python3 "$T/upstream.py" "$T/upstream.ports" "$UP_PORTS" "$ITEMS_PER_SOURCE" "$BIG_ITEMS" \
  "$ROOT/feeds/russia-islamic-world/000_216685895bd1f649.txt" > "$T/upstream.log" 2>&1 &
UP_PID=$!; PIDS+=("$UP_PID")
for _ in $(seq 100); do [ -f "$T/upstream.ports" ] && break; kill -0 "$UP_PID" || break; sleep 0.1; done
[ -f "$T/upstream.ports" ] || { cat "$T/upstream.log" >&2; die "the upstream did not start"; }
read -r -a UP_PORT_LIST < "$T/upstream.ports" || true  # no final newline
UP0=http://127.0.0.1:${UP_PORT_LIST[0]}
up_stats() { curl -sf "$UP0/__stats"; }
up_reset() { curl -sf "$UP0/__reset" > /dev/null; }
jget() { python3 -c 'import json, sys; v = json.load(sys.stdin)[sys.argv[1]]; print(" ".join(map(str, v)) if isinstance(v, list) else v)' "$1"; }
log "upstream on 127.0.0.1 ports ${UP_PORT_LIST[*]}"

# ---------------------------------------------------------------------------- configs, servers
# Written from scratch (absolute paths), not from config/feedpub.toml: only the keys that matter.
write_config() { # file feeds_dir tick_seconds
  cat > "$1" <<EOF
base_url = "http://127.0.0.1:8080/"
feeds_dir = "$2"
output_dir = "$T/public"
[serve]
min_refetch_seconds = 0
[poll]
allow_private_networks = true
timeout_seconds = 10
lease_seconds = 30
tick_seconds = $3
EOF
}
feedpub_as() { # database-url args...: runs feedpub, output to $T/last.out; dies on failure
  local url=$1; shift
  FEEDPUB_DATABASE_URL=$url FEEDPUB_ALLOW_PRIVATE_NETWORKS=true "$BIN" "$@" > "$T/last.out" 2>&1 \
    || { tail -n 30 "$T/last.out" >&2; die "feedpub $* failed"; }
}
# Starts `serve` on 127.0.0.1:0 with JSON logs to LOG; sets STARTED_PID and STARTED_ADDR.
start_serve() { # log config database-url [prefix command...]
  local logf=$1 cfg=$2 url=$3; shift 3
  FEEDPUB_DATABASE_URL=$url FEEDPUB_ALLOW_PRIVATE_NETWORKS=true RUST_LOG=info \
    "$@" "$BIN" --config "$cfg" --log-format json serve --listen 127.0.0.1:0 > "$logf.stdout" 2> "$logf" &
  STARTED_PID=$!; PIDS+=("$STARTED_PID"); STARTED_ADDR=
  for _ in $(seq 600); do
    kill -0 "$STARTED_PID" 2>/dev/null || { tail -n 20 "$logf" >&2; die "serve exited (log $logf)"; }
    STARTED_ADDR=$(grep -m1 '"message":"serving"' "$logf" | grep -o '"address":"[^"]*"' | cut -d'"' -f4 || true)
    [ -n "$STARTED_ADDR" ] && return 0
    sleep 0.1
  done
  tail -n 20 "$logf" >&2; die "serve logged no address within 60 s (log $logf)"
}
stop_serve() { stop_pid "$1"; local p kept=(); for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done; PIDS=("${kept[@]}"); }
wait_200() { # url [header]: up to 60 s for a 200 (with Content-Encoding: gzip when asking for it)
  local args=(-s -o /dev/null -D "$T/wait.headers" -w '%{http_code}')
  [ $# -gt 1 ] && args+=(-H "$2")
  for _ in $(seq 600); do
    if [ "$(curl "${args[@]}" "$1" || true)" = 200 ]; then
      [ $# -gt 1 ] || return 0
      grep -qi '^content-encoding:[[:space:]]*gzip' "$T/wait.headers" && return 0
    fi
    sleep 0.1
  done
  die "no 200 from $1 within 60 s"
}

# ---------------------------------------------------------------------------- 1. polling rounds
# A site of FEEDS feeds, one article each; with sources: SOURCES upstream sources spread over them.
write_site() { # dir with-sources(0|1)
  local f n per=$((SOURCES / FEEDS))
  for f in $(seq 0 $((FEEDS - 1))); do
    local d
    d=$1/feed-$(printf %02d "$f")
    mkdir -p "$d"
    printf '+++\ndate = 2023-11-18\ntitle = "خبر محلي %d"\n+++\nنص محلي.\n' "$f" > "$d/001_local.md"
    {
      printf 'title = "Feed %d"\ndescription = "d"\nlanguage = "ar"\n' "$f"
      if [ "$2" = 1 ]; then
        for n in $(seq $((f * per)) $((f * per + per - 1))); do
          printf '\n[[source]]\nurl = "http://127.0.0.1:%s/s/%d"\n' "${UP_PORT_LIST[$((n % UP_PORTS))]}" "$n"
        done
      fi
    } > "$d/feed.toml"
  done
}

EXPECTED_ITEMS=$((SOURCES * ITEMS_PER_SOURCE))
declare -A R1
p1_rows=()
p1_details=()
for R in $(part 1 && echo "$REPLICAS"); do
  D=$T/p1-r$R; DB=p1_r$R
  mkdir -p "$D/feeds"
  log "1. $R replica(s): fresh database $DB, writer syncs $FEEDS feeds without sources"
  new_db "$DB"
  WRITER_URL=$(pg_url feedpub_writer "$DB"); REPLICA_URL=$(pg_url feedpub_replica "$DB")
  write_config "$D/writer.toml" "$D/feeds" 60
  write_config "$D/replica.toml" "$D/no-feeds-here" 1
  write_site "$D/feeds" 0
  feedpub_as "$WRITER_URL" --config "$D/writer.toml" sync
  rpids=(); raddrs=()
  for i in $(seq "$R"); do
    start_serve "$D/replica-$i.log" "$D/replica.toml" "$REPLICA_URL"
    rpids+=("$STARTED_PID"); raddrs+=("$STARTED_ADDR")
  done
  for a in "${raddrs[@]}"; do wait_200 "http://$a/feed-00/rss.xml"; done
  grep -q 'serving from the shared store (replica)' "$D/replica-1.log" || die "replica 1 does not say it is a replica"
  sleep 2  # a few idle ticks (no sources yet)
  up_reset; stmts_reset
  cpu0=(); ren0=()
  for i in $(seq "$R"); do cpu0+=("$(cpu_s "${rpids[$((i - 1))]}")"); ren0+=("$(renders "${raddrs[$((i - 1))]}")"); done
  up_cpu0=$(cpu_s "$UP_PID")
  log "   sync of $SOURCES sources; the replicas (tick_seconds = 1) poll them"
  write_site "$D/feeds" 1
  t_sync=$(now)
  feedpub_as "$WRITER_URL" --config "$D/writer.toml" sync
  t_synced=$(now)
  deadline=$((SECONDS + ROUND_TIMEOUT))
  while :; do
    n=$(q "$DB" "SELECT COUNT(*) FROM items WHERE source IS NOT NULL")
    [ "$n" -ge "$EXPECTED_ITEMS" ] && break
    [ $SECONDS -lt $deadline ] || die "after ${ROUND_TIMEOUT}s the store holds $n of $EXPECTED_ITEMS items"
    sleep 0.1
  done
  t_stored=$(now)
  # Each replica logs its round's outcomes when the round ends: wait for every fetch's line.
  for _ in $(seq 300); do
    fetched=$(cat "$D"/replica-*.log | grep '"message":"polled"' | grep -c '"status":"200"' || true)
    [ "$fetched" -ge "$SOURCES" ] && break
    sleep 0.1
  done
  t_ended=$(now)
  cpus=(); rens=()
  for i in $(seq "$R"); do
    cpus+=("$(awk -v a="${cpu0[$((i - 1))]}" -v b="$(cpu_s "${rpids[$((i - 1))]}")" 'BEGIN { printf "%.1f", b - a }')")
    rens+=("$(( $(renders "${raddrs[$((i - 1))]}") - ${ren0[$((i - 1))]} ))")
  done
  up_cpu=$(awk -v a="$up_cpu0" -v b="$(cpu_s "$UP_PID")" 'BEGIN { printf "%.1f", b - a }')
  round_stmts=$(stmts "$DB" feedpub_replica); round_commits=$(commits "$DB" feedpub_replica)
  stmts_top "$DB" feedpub_replica "$D/round.statements"
  # Idle: every tick reads the definitions and each source's state, nothing is due.
  sleep 1; stmts_reset; sleep "$IDLE_SECONDS"
  idle_stmts=$(stmts "$DB" feedpub_replica)
  stmts_top "$DB" feedpub_replica "$D/idle.statements"
  up_stats > "$D/upstream.json"
  reqs=$(jget requests < "$D/upstream.json"); paths=$(jget paths < "$D/upstream.json")
  maxp=$(jget max_per_path < "$D/upstream.json"); repeated=$(jget repeated < "$D/upstream.json")
  t_first=$(jget first < "$D/upstream.json"); t_last=$(jget last < "$D/upstream.json")
  per_replica=(); elsewhere_total=0
  for i in $(seq "$R"); do
    c=$(grep '"message":"polled"' "$D/replica-$i.log" | grep -c '"status":"200"' || true)
    e=$(grep '"message":"polled"' "$D/replica-$i.log" | grep -c '"status":"polled by another replica"' || true)
    per_replica+=("$c"); elsewhere_total=$((elsewhere_total + e))
  done
  other=$(cat "$D"/replica-*.log | grep '"message":"polled"' | grep -vc '"status":"200"\|"status":"polled by another replica"' || true)
  for p in "${rpids[@]}"; do stop_serve "$p"; done
  read -r to_first first_to_last round_wall ended_after <<< "$(python3 -c '
import sys; s, f, l, st, e = map(float, sys.argv[1:6])
print("%.2f %.2f %.2f %.2f" % (f - s, l - f, st - f, e - f))' "$t_synced" "$t_first" "$t_last" "$t_stored" "$t_ended")"
  ok="yes"; { [ "$reqs" = "$SOURCES" ] && [ "$paths" = "$SOURCES" ] && [ "$maxp" = 1 ]; } || ok="NO"
  [ "$ok" = yes ] || log "   WARNING: $reqs requests for $paths sources, at most $maxp per source; repeated: $repeated"
  per_source=$(awk -v s="$round_stmts" -v n="$SOURCES" 'BEGIN { printf "%.1f", s / n }')
  idle_rate=$(awk -v s="$idle_stmts" -v r="$R" -v t="$IDLE_SECONDS" 'BEGIN { printf "%.0f", s / r / t }')
  log "   $reqs requests ($paths sources, max $maxp each); round ${round_wall}s; $round_stmts statements; fetched per replica: ${per_replica[*]}"
  p1_rows+=("| $R | $reqs ($paths distinct, max $maxp per source) — $ok | $(since "$t_sync" "$t_synced") | $to_first | $first_to_last | **$round_wall** | $round_stmts ($per_source per source) | $round_commits | ${per_replica[*]} | $elsewhere_total | $other | ${cpus[*]} | ${rens[*]} | $up_cpu | $idle_rate |")
  p1_details+=("$R replica(s): statements in the round (sync until every replica logged its round), by calls:" "$(cat "$D/round.statements" 2>/dev/null)" \
    "$R replica(s): statements in ${IDLE_SECONDS}s idle (nothing due, tick 1 s):" "$(cat "$D/idle.statements" 2>/dev/null)")
  json_line "{\"bench\":\"replicas\",\"case\":\"poll round\",\"smoke\":$SMOKE,\"replicas\":$R,\"sources\":$SOURCES,\"requests\":$reqs,\"distinct\":$paths,\"max_per_source\":$maxp,\"round_wall_s\":$round_wall,\"first_to_last_request_s\":$first_to_last,\"statements\":$round_stmts,\"commits\":$([ "$round_commits" = - ] && echo null || echo "$round_commits"),\"fetched_per_replica\":[$(IFS=,; echo "${per_replica[*]}")],\"cpu_s_per_replica\":[$(IFS=,; echo "${cpus[*]}")],\"renders_per_replica\":[$(IFS=,; echo "${rens[*]}")],\"idle_statements_per_s_per_replica\":$idle_rate,\"counted_with\":\"$STATEMENTS\"}"
done

# ---------------------------------------------------------------------------- 2. serve throughput
if part 2; then
log "2. serve throughput: replica on PostgreSQL vs serve on SQLite, pinned to core 1"
D=$T/p2; mkdir -p "$D/raw"; DB=p2
new_db "$DB"
write_config "$D/sqlite.toml" "$ROOT/feeds" 60
write_config "$D/writer.toml" "$ROOT/feeds" 60
write_config "$D/replica.toml" "$D/no-feeds-here" 60
feedpub_as "$(pg_url feedpub_writer "$DB")" --config "$D/writer.toml" sync
ON_SERVER=(taskset -c 1 env TOKIO_WORKER_THREADS=1)
declare -A ADDR PID2
start_serve "$D/pg.log" "$D/replica.toml" "$(pg_url feedpub_replica "$DB")" "${ON_SERVER[@]}"
ADDR[pg]=$STARTED_ADDR; PID2[pg]=$STARTED_PID
start_serve "$D/sqlite.log" "$D/sqlite.toml" "sqlite:$D/store.sqlite3" "${ON_SERVER[@]}"
ADDR[sqlite]=$STARTED_ADDR; PID2[sqlite]=$STARTED_PID
declare -A ETAG
for s in pg sqlite; do
  wait_200 "http://${ADDR[$s]}$FEED_PATH" "Accept-Encoding: gzip"
  curl -s -o "$D/body.$s" "http://${ADDR[$s]}$FEED_PATH"
  ETAG[$s]=$(curl -s -o /dev/null -D - "http://${ADDR[$s]}$FEED_PATH" | tr -d '\r' \
    | awk 'tolower($1) == "etag:" { sub(/^[^:]*:[ \t]*/, ""); print; exit }')
  [ -n "${ETAG[$s]}" ] || die "$s sends no ETag"
done
if cmp -s "$D/body.pg" "$D/body.sqlite"; then SAME="same bytes and ETag on both"; else SAME="WARNING: the bodies differ"; fi
[ "${ETAG[pg]}" = "${ETAG[sqlite]}" ] || SAME+=" (ETags differ: ${ETAG[pg]} vs ${ETAG[sqlite]})"
log "   $SAME ($(stat -c %s "$D/body.pg") bytes identity)"
parse_wrk() { # -> "req/s p99_ms errors"
  awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v + 0 }
    /^Requests\/sec:/ { rps = $2 } $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { err += $NF } /Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    END { if (rps == "") exit 1; printf "%s %.3f %d\n", rps, p99, err + 0 }' "$1"
}
wrk_run() { # scenario store seconds out
  local h=("Accept-Encoding: gzip") code
  [ "$1" = 304 ] && h=("If-None-Match: ${ETAG[$2]}")
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "${h[0]}" "http://${ADDR[$2]}$FEED_PATH")
  [ "$code" = "$([ "$1" = 304 ] && echo 304 || echo 200)" ] || die "$2 $1: HTTP $code before wrk"
  taskset -c 0 wrk "-t$THREADS" "-c$CONNECTIONS" "-d${3}s" --latency -H "${h[0]}" "http://${ADDR[$2]}$FEED_PATH" > "$4" 2>&1 \
    || { cat "$4" >&2; die "wrk failed"; }
}
stmts_reset
p2_rows=(); p2_db=()
for sc in gzip 304; do
  for s in pg sqlite; do wrk_run "$sc" "$s" "$WARMUP" "$D/raw/$sc.$s.warmup"; done
  for r in $(seq "$RUNS"); do
    for s in pg sqlite; do
      out=$D/raw/$sc.$s.$r
      [ "$s" = pg ] && before=$(stmts "$DB" feedpub_replica) && t0=$(now)
      wrk_run "$sc" "$s" "$DURATION" "$out"
      parse_wrk "$out" > "$out.parsed" || { cat "$out" >&2; die "unparsable wrk output $out"; }
      if [ "$s" = pg ]; then
        after=$(stmts "$DB" feedpub_replica); t1=$(now)
        echo "$((after - before)) $(since "$t0" "$t1")" > "$out.stmts"
      fi
      log "   $sc $s run $r: $(awk '{ printf "%s req/s, p99 %s ms, errors %s", $1, $2, $3 }' "$out.parsed")$([ "$s" = pg ] && awk '{ printf "; %d statements in %.1f s", $1, $2 }' "$out.stmts")"
    done
  done
  declare -A MED=()
  for s in pg sqlite; do
    MED[$s]=$(cat "$D/raw/$sc.$s".[0-9]*.parsed | awk '{ print $1 }' | median)
    lo=$(cat "$D/raw/$sc.$s".[0-9]*.parsed | awk '{ print $1 }' | sort -g | sed -n 1p)
    hi=$(cat "$D/raw/$sc.$s".[0-9]*.parsed | awk '{ print $1 }' | sort -g | tail -1)
    p99=$(cat "$D/raw/$sc.$s".[0-9]*.parsed | awk '{ print $2 }' | median)
    errs=$(cat "$D/raw/$sc.$s".[0-9]*.parsed | awk '{ e += $3 } END { print e }')
    [ "$errs" = 0 ] || log "   WARNING: $sc $s: $errs non-2xx/3xx responses or socket errors"
    label=$([ "$sc" = gzip ] && echo "200 gzip" || echo "304 If-None-Match")
    store=$([ "$s" = pg ] && echo "PostgreSQL replica" || echo "SQLite")
    ratio=; [ "$s" = pg ] && ratio=$(awk -v a="${MED[pg]:-0}" -v b="$(cat "$D/raw/$sc.sqlite".[0-9]*.parsed | awk '{ print $1 }' | median)" 'BEGIN { printf "%.2f", a / b }')
    p2_rows+=("| $label | $store | $(printf %.0f "${MED[$s]}") | $(printf %.0f "$lo")–$(printf %.0f "$hi") | $p99 | $errs | $ratio |")
  done
  stm=$(cat "$D/raw/$sc.pg".[0-9]*.stmts | awk '{ printf "%s%d in %.1f s", (NR > 1 ? ", " : ""), $1, $2 }')
  reqs=$(cat "$D/raw/$sc.pg".[0-9]*.parsed | awk -v d="$DURATION" '{ printf "%s%.0f", (NR > 1 ? ", " : ""), $1 * d }')
  p2_db+=("| $([ "$sc" = gzip ] && echo "200 gzip" || echo "304 If-None-Match") | $reqs | $stm |")
  json_line "{\"bench\":\"replicas\",\"case\":\"serve $sc\",\"smoke\":$SMOKE,\"pg_rps\":${MED[pg]},\"sqlite_rps\":${MED[sqlite]},\"ratio\":$(awk -v a="${MED[pg]}" -v b="${MED[sqlite]}" 'BEGIN { printf "%.4f", a / b }'),\"pg_statements_per_run\":[$(cat "$D/raw/$sc.pg".[0-9]*.stmts | awk '{ printf "%s%d", (NR > 1 ? "," : ""), $1 }')]}"
  unset MED
done
stmts_top "$DB" feedpub_replica "$D/serve.statements"
for s in pg sqlite; do stop_serve "${PID2[$s]}"; done
fi

# ---------------------------------------------------------------------------- 3. ingest
p3_rows=()
if part 3; then
log "3. poll --force of one $BIG_ITEMS-item source into a fresh store, PostgreSQL vs SQLite"
D=$T/p3; mkdir -p "$D/feeds/big"
printf 'title = "Big"\ndescription = "d"\nlanguage = "ar"\n\n[[source]]\nurl = "%s/big"\n' "$UP0" > "$D/feeds/big/feed.toml"
write_config "$D/config.toml" "$D/feeds" 60
big_count() { # kind store
  if [ "$1" = pg ]; then q "$2" "SELECT COUNT(*) FROM items WHERE source IS NOT NULL"
  else python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM items WHERE source IS NOT NULL").fetchone()[0])' "$2"; fi
}
timed_poll() { # url out-prefix -> wall seconds (to the ms; GNU time's own is to 10 ms)
  local t0 t1
  t0=$(now)
  FEEDPUB_DATABASE_URL=$1 FEEDPUB_ALLOW_PRIVATE_NETWORKS=true /usr/bin/time -v -o "$2.time" \
    "$BIN" --config "$D/config.toml" poll --force > "$2.out" 2>&1 || { cat "$2.out" >&2; die "poll failed"; }
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
for r in $(seq "$RUNS"); do
  for kind in pg sqlite; do
    if [ "$kind" = pg ]; then
      db=p3_$r; new_db "$db"; url=$(pg_url feedpub_writer "$db"); where=$db
    else
      where=$D/store-$r.sqlite3; url=sqlite:$where
    fi
    feedpub_as "$url" --config "$D/config.toml" sync   # schema and definitions; not timed
    up_reset; stmts_reset
    w1=$(timed_poll "$url" "$D/$kind.$r.first")
    n=$(big_count "$kind" "$where")
    [ "$n" = "$BIG_ITEMS" ] || die "$kind run $r: $n items stored, $BIG_ITEMS expected ($(cat "$D/$kind.$r.first.out"))"
    s1=-; [ "$kind" = pg ] && s1=$(stmts "$db" feedpub_writer)
    stmts_reset
    w2=$(timed_poll "$url" "$D/$kind.$r.again")
    s2=-; [ "$kind" = pg ] && s2=$(stmts "$db" feedpub_writer)
    [ "$(up_stats | jget requests)" = 2 ] || die "$kind run $r: the upstream did not see exactly 2 requests"
    rss=$(times_of "$D/$kind.$r.first.time" | awk '{ print $4 }')
    echo "$w1 $w2 $s1 $s2 $rss" > "$D/$kind.$r.result"
    log "   $kind run $r: first poll ${w1}s ($n items, $s1 statements), again ${w2}s ($s2 statements)"
  done
done
for kind in pg sqlite; do
  m1=$(cat "$D/$kind".*.result | awk '{ print $1 }' | median)
  m2=$(cat "$D/$kind".*.result | awk '{ print $2 }' | median)
  all1=$(cat "$D/$kind".*.result | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $1 }')
  st=$(cat "$D/$kind".*.result | awk 'NR == 1 { printf "%s / %s", $3, $4 }')
  rss=$(cat "$D/$kind".*.result | awk '{ print $5 }' | median)
  ips=$(awk -v n="$BIG_ITEMS" -v w="$m1" 'BEGIN { printf "%.0f", (w > 0) ? n / w : 0 }')
  p3_rows+=("| $([ "$kind" = pg ] && echo PostgreSQL || echo SQLite) | $m1 ($all1) | **$ips** | $m2 | $rss | $st |")
  json_line "{\"bench\":\"replicas\",\"case\":\"ingest\",\"smoke\":$SMOKE,\"store\":\"$kind\",\"items\":$BIG_ITEMS,\"wall_s\":$m1,\"items_per_s\":$ips,\"again_wall_s\":$m2}"
done
fi

# ---------------------------------------------------------------------------- report
git_rev="$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && [ -n "$(git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null)" ] && echo '+dirty src' || true)"
echo "## replicas.sh: serve replicas on one PostgreSQL$([ "$SMOKE" = 1 ] && echo ' (SMOKE: tiny sizes, figures mean nothing)')"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), host: $(uname -srm), cores: $(nproc) (replicas, upstream, PostgreSQL and wrk share them)"
echo "- load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d" " -f1-3 /proc/loadavg) (anything else running on the 2 cores skews every figure)"
echo "- feedpub: $BIN (git $git_rev at report time; binary built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC'))"
echo "- PostgreSQL $PG_VERSION on 127.0.0.1, private cluster: $PG_SETTINGS; statements counted with $STATEMENTS"
echo "- upstream: python3 ThreadingHTTPServer on 127.0.0.1, $UP_PORTS port(s); the poller's per-host limit (2) is per host name, not per port"
if part 1; then
  echo
  echo "### 1. One polling round: $SOURCES sources ($FEEDS feeds × $((SOURCES / FEEDS)), $ITEMS_PER_SOURCE items each), tick_seconds = 1"
  echo
  echo "Replicas were already running (feeds synced without sources); the writer's \`feedpub sync\` of the sources starts the round. Round wall = first upstream request → the store holds all $EXPECTED_ITEMS items (checked every 0.1 s). CPU = user+sys seconds of each replica process (and of the upstream) from just before the sync until every replica has logged its round; re-renders from each replica's /metrics. Statements = the replicas' role in pg_stat_statements from just before the sync until every replica has logged its round: plan reads, claims, records, the follower's head reads (one per notification) and the re-render, and also every tick a replica started in that window (each tick reads every source's state, see the idle column)."
  echo
  echo "| replicas | upstream requests (1 per source?) | sync (s) | sync → 1st request (s) | 1st → last request (s) | round wall (s) | statements in the round | transactions (COMMIT) | sources fetched per replica | \"polled by another replica\" | other outcomes | CPU s per replica | re-renders per replica | upstream CPU s | idle statements/s per replica |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|---|---:|---:|"
  printf '%s\n' "${p1_rows[@]}"
fi
if part 2; then
  echo
  echo "### 2. serve throughput per replica, $FEED_PATH (shipped feeds/), server on core 1 (TOKIO_WORKER_THREADS=1), wrk -t$THREADS -c$CONNECTIONS on core 0"
  echo
  echo "$WARMUP s warm-up per store, then $RUNS × $DURATION s runs alternating PG, SQLite; $SAME. 200 runs send \`Accept-Encoding: gzip\`; 304 runs send each server's own ETag. PostgreSQL itself is not pinned."
  echo
  echo "| scenario | store | median req/s | min–max | median p99 (ms) | errors | PG/SQLite |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  printf '%s\n' "${p2_rows[@]}"
  echo
  echo "Statements the PG replica ran during each wrk run (the hot path should run none; the follower's head read, about once a second, is 2 statements):"
  echo
  echo "| scenario | requests per run | statements per run |"
  echo "|---|---|---|"
  printf '%s\n' "${p2_db[@]}"
fi
if part 3; then
  echo
  echo "### 3. Ingest: \`feedpub poll --force\` of one source of $BIG_ITEMS items into a fresh store"
  echo
  echo "Store made by \`feedpub sync\` first (schema and definition; not timed); wall = the poll process from start to exit (to the ms), $RUNS run(s) each, alternating; items/s = $BIG_ITEMS / median wall (process start, fetch, parse, sanitise and store); peak RSS from GNU time -v."
  echo
  echo "| store | median wall (s) (runs) | items/s | re-poll, nothing new: median wall (s) | peak RSS (KB) | statements first / re-poll (run 1) |"
  echo "|---|---:|---:|---:|---:|---|"
  printf '%s\n' "${p3_rows[@]}"
fi
if part 1 || part 2; then
  echo
  echo "<details><summary>Statements by calls (calls | total execution time | query)</summary>"
  echo
  echo '```'
  [ ${#p1_details[@]} -gt 0 ] && printf '%s\n' "${p1_details[@]}"
  if part 2; then
    echo "serve: statements of the PG replica from its warm-ups to the end of the wrk runs:"
    cat "$T/p2/serve.statements" 2>/dev/null || true
  fi
  echo '```'
  echo "</details>"
fi
echo
echo "Run time: $((SECONDS - START_SECONDS)) s. Command: \`$([ "$SMOKE" = 1 ] && echo 'SMOKE=1 ')$([ "$PARTS" != "1 2 3" ] && echo "PARTS=\"$PARTS\" ")$([ "$PG_FSYNC" != on ] && echo "PG_FSYNC=$PG_FSYNC ")FEEDPUB_BIN=$BIN benches/replicas.sh\`"
