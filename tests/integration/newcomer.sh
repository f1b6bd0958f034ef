#!/usr/bin/env bash
# newcomer.sh - `make run` on what a fresh clone holds, then the map page in headless Chromium.
#
# Copies the files git would hand a newcomer (tracked, plus untracked ones that are not ignored;
# so no build/, no var/, no web/node_modules) into a temporary directory, runs `make run` there on
# a free loopback port (it compiles from scratch: allow minutes), waits for /healthz and runs
# tests/web/newcomer.test.mjs: no console or page errors, no failed request, no HTTP error, areas
# and density tiles loaded, the map drawn. playwright-core comes from this tree's web/node_modules
# (`make test` installs it); the copy has none and must need none. The `make run` process group and
# the copy are always removed. Env: BUILD (screenshots go to $BUILD/screenshots/newcomer.png).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
START_TIMEOUT=${NEWCOMER_START_TIMEOUT:-360} # seconds for `make run` to build, load and serve

# The clone's `make run` is the plain build whatever this run's build is, so the sanitizer run
# (`make test SANITIZE=1`, which sets SANITIZE) would only repeat the plain run's check.
if [ "${SANITIZE:-}" = 1 ]; then
  echo "ok - skipped under SANITIZE=1: the clone's make run is the plain build, checked by plain make test"
  exit 0
fi
command -v node >/dev/null || { echo "FAIL - node is not installed"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "FAIL - /usr/bin/chromium is not installed (tools/deps.sh)"; exit 1; }
if ! git -C "$ROOT" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  echo "ok - skipped: $ROOT is not a git work tree, so there is no clone to imitate"
  exit 0
fi
if [ ! -d web/node_modules/playwright-core ]; then
  (cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

TMP=$(mktemp -d "/tmp/hazmap-newcomer-$$-XXXXXX")
CLONE=$TMP/hazmap
PID=
cleanup() {
  if [ -n "$PID" ]; then
    # `make run` was started as the leader of its own process group; it execs build/hazmap serve
    # (or is still compiling): stop the whole group, politely first.
    kill -TERM -- "-$PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# What a clone would contain: tracked and untracked-but-not-ignored files, less deleted ones.
mkdir -p "$CLONE"
while IFS= read -r -d '' f; do
  [ -e "$f" ] || [ -L "$f" ] || continue
  printf '%s\0' "$f"
done < <(git -C "$ROOT" ls-files -z --cached --others --exclude-standard) > "$TMP/files"
tar -C "$ROOT" --null -T "$TMP/files" -cf - | tar -C "$CLONE" -xf -
for d in build var web/node_modules; do
  [ ! -e "$CLONE/$d" ] || { echo "FAIL - the copy has $d, which a clone would not"; exit 1; }
done
echo "ok - copied the $(tr -cd '\0' < "$TMP/files" | wc -c) files of a clone to $CLONE"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
LOG=$TMP/make-run.log
# A newcomer's shell: none of the outer make's variables, and its own process group (setsid in a
# background subshell, which is not a group leader, makes make the leader of a new session).
(cd "$CLONE" && exec env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD -u HAZMAP \
  setsid make run PORT="$PORT" BIND=127.0.0.1) > "$LOG" 2>&1 < /dev/null &
PID=$!
t0=$SECONDS
until curl -fsS "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1; do
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "--- make run log (last 30 lines)"; tail -30 "$LOG"
    echo "FAIL - make run exited before serving"; exit 1
  fi
  if [ $((SECONDS - t0)) -ge "$START_TIMEOUT" ]; then
    echo "--- make run log (last 30 lines)"; tail -30 "$LOG"
    echo "FAIL - make run did not answer /healthz within ${START_TIMEOUT} s"; exit 1
  fi
  sleep 1
done
echo "ok - make run built, loaded the sample and answered /healthz on 127.0.0.1:$PORT after $((SECONDS - t0)) s"

mkdir -p "$BUILD/screenshots"
rc=0
BASE_URL="http://127.0.0.1:$PORT" SCREENSHOTS="$BUILD/screenshots" timeout 180 node tests/web/newcomer.test.mjs || rc=$?
if [ -e "$CLONE/web/node_modules" ]; then
  echo "FAIL - make run created web/node_modules in the clone"; rc=1
else
  echo "ok - the clone served the page without web/node_modules"
fi
if [ "$rc" -ne 0 ]; then echo "--- make run log (last 30 lines)"; tail -30 "$LOG"; fi
exit "$rc"
