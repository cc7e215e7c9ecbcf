#!/usr/bin/env bash
# npm run test:valgrind: runs scripts/valgrind-driver.mjs (every native
# function at least once: the three modes, streams and datagrams,
# sendmsg/recvmsg with SCM_RIGHTS, select/poll/epoll, selectors, loop.sock_*,
# the bench functions with a peer in a worker thread) under valgrind memcheck.
#
# The addon is built (unsanitized, with debug info, -O1) into its own
# directory, never build/. Node runs with --jitless: no machine code is
# generated at run time, so memcheck sees only ahead-of-time code.
# scripts/valgrind.supp holds the suppressions for Node's and V8's own noise.
# Definite leaks are errors (Node itself has none at exit).
#
# Environment: SOCKMODE_VALGRIND_DIR (default build-valgrind/);
# SOCKMODE_VALGRIND_PATCH, a patch applied to the build copy (never to
# native/), checks that a planted bug is caught.
# Exit status: non-zero on a build failure, a memcheck error, a failed step of
# the driver, or a run longer than 15 minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${SOCKMODE_VALGRIND_DIR:-$root/build-valgrind}
mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/src
command -v valgrind >/dev/null || { echo "valgrind: not installed"; exit 1; }

t0=$SECONDS
echo "== valgrind: building the addon with -g in $src"
# shellcheck source=scripts/build-copy.sh
. "$root/scripts/build-copy.sh"
CFLAGS="-g -O1 -fno-omit-frame-pointer" CXXFLAGS="-g -O1 -fno-omit-frame-pointer" \
  build_copy valgrind "$src" "${SOCKMODE_VALGRIND_PATCH:-}" "$out/build.log" || exit 1
addon=$src/build/Release/sockmode.node
echo "== valgrind: built $addon in $((SECONDS - t0)) s"

node node_modules/typescript/bin/tsc -p tsconfig.json

log=$out/memcheck.log
status=0
SOCKMODE_NATIVE="$addon" timeout -k 10 900 valgrind \
  --tool=memcheck \
  --error-exitcode=1 \
  --suppressions="$root/scripts/valgrind.supp" \
  --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  --num-callers=40 \
  --log-file="$log" \
  node --jitless scripts/valgrind-driver.mjs || status=$?

grep -E 'ERROR SUMMARY|definitely lost|suppressed:' "$log" || true
elapsed=$((SECONDS - t0))
if [ "$status" -ne 0 ]; then
  echo "== valgrind: memcheck log ($log):"
  cat "$log"
  if [ "$status" -eq 124 ]; then echo "valgrind: timed out"; fi
  echo "valgrind: FAILED (status $status) after ${elapsed} s"
  exit "$status"
fi
echo "valgrind: passed, no memcheck error (${elapsed} s)"
