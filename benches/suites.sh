#!/usr/bin/env bash
# Public parser test suites (issue 15): for every feed file of feedparser's tests/, feed-rs's
# fixtures and gofeed's testdata, does feedpub publish an item where feedparser 6.0.14 finds
# one? benches/suites.py does the work (read its docstring for the method): a loopback upstream
# on 127.0.0.1 serving each file with its headers, the real binary polling it (`poll --force`,
# FEEDPUB_ALLOW_PRIVATE_NETWORKS=true; feedpub contacts nothing else), `build` as the
# cross-check, and probes that find why each miss is one.
#
# The suites are never copied into the repository; they live under SUITES_DIR (/tmp/suites):
#   SUITES_DIR/feedparser/tests/…          kurtmckee/feedparser  tests/
#   SUITES_DIR/feed-rs/feed-rs/fixture/…   feed-rs/feed-rs       feed-rs/fixture/
#   SUITES_DIR/gofeed/testdata/…           mmcdole/gofeed        testdata/
# Fetch step, only for a suite whose folder is missing: `git archive HEAD <path>` from a bare
# mirror MIRRORS/<owner>+<name>/repo if there is one (default MIRRORS=/work/.mirror), else from
# a shallow `git clone` of https://github.com/<owner>/<name>; the commit goes to <name>/.commit.
# With the suites in place the script reads no network but its own loopback upstream.
#
#   benches/suites.sh                              # cargo build --release, then all three suites
#   FEEDPUB_BIN=path/to/feedpub benches/suites.sh  # skip the build (LABEL= names it in the title)
#   benches/suites.sh --suite gofeed --no-build    # arguments go to suites.py (--help)
#   COMPARE=DIR benches/suites.sh                  # FIXED/REGRESSED per file against an earlier
#                                                  # run's results-*.json (default: SUITES_DIR/baseline
#                                                  # when it exists; COMPARE= turns it off)
#
# Output: the tables on stdout (markdown), progress on stderr; per suite SUITES_DIR/report-<suite>.txt
# (every miss with its category, what feedparser sees and feedpub's poll line) and
# results-<suite>.json. About 2-3 minutes on 2 cores, after the build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SUITES_DIR=${SUITES_DIR:-/tmp/suites}
MIRRORS=${MIRRORS:-/work/.mirror}

python3 - <<'PY' || { echo "suites.sh: needs python3 with feedparser 6.0.14 and lxml (pip install feedparser==6.0.14 lxml)" >&2; exit 1; }
import feedparser, lxml.etree
assert feedparser.__version__ == "6.0.14", feedparser.__version__
PY

fetch() {  # name owner/repo path
  local name=$1 repo=$2 path=$3 dest="$SUITES_DIR/$1"
  [ -d "$dest/$path" ] && return 0
  mkdir -p "$dest"
  local git_dir="$MIRRORS/${repo/\//+}/repo" tmp=
  if [ ! -d "$git_dir" ]; then
    tmp=$(mktemp -d)
    echo "suites.sh: cloning https://github.com/$repo (depth 1) for $name" >&2
    git clone -q --bare --depth 1 "https://github.com/$repo" "$tmp/repo"
    git_dir="$tmp/repo"
  fi
  git --git-dir="$git_dir" archive HEAD "$path" | tar -x -C "$dest"
  echo "$repo@$(git --git-dir="$git_dir" rev-parse HEAD)" > "$dest/.commit"
  [ -n "$tmp" ] && rm -rf "$tmp"
  return 0
}
fetch feedparser kurtmckee/feedparser tests
fetch feed-rs feed-rs/feed-rs feed-rs/fixture
fetch gofeed mmcdole/gofeed testdata

if [ -z "${FEEDPUB_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release >&2)
  FEEDPUB_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/feedpub"
  LABEL=${LABEL:-"$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src Cargo.toml Cargo.lock || echo ' + uncommitted changes')"}
fi
LABEL=${LABEL:-$FEEDPUB_BIN}
args=()
if [ -z "${COMPARE+set}" ] && [ -d "$SUITES_DIR/baseline" ]; then COMPARE="$SUITES_DIR/baseline"; fi
[ -n "${COMPARE:-}" ] && args+=(--compare "$COMPARE")
echo "suites.sh: $FEEDPUB_BIN ($LABEL)" >&2
exec python3 "$ROOT/benches/suites.py" --bin "$FEEDPUB_BIN" --label "$LABEL" --repo "$ROOT" --suites-dir "$SUITES_DIR" "${args[@]}" "$@"
