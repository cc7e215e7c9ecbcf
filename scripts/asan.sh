#!/usr/bin/env bash
# npm run test:asan: builds the addon with AddressSanitizer and
# UndefinedBehaviorSanitizer into its own directory (never build/, which the
# normal build owns) and runs the whole vitest suite against that build
# (SOCKMODE_NATIVE, see lib/native.ts).
#
# Node is not built with ASan, so the ASan runtime must be preloaded
# (LD_PRELOAD) into every node process that loads the sanitized .node, and
# only there: other programs the tests start get a clean environment (curl
# hangs with libasan preloaded; python3 and redis-server would merely run
# slower). So node runs through a launcher ($out/bin/node: LD_PRELOAD=libasan
# exec node), and a --require hook (NODE_OPTIONS) in every node process takes
# libasan out of LD_PRELOAD again and points process.execPath at the
# launcher: children started by process.execPath, by fork() or as `node` on
# PATH get the runtime; python3, curl and the rest do not.
#
# - Leak detection is off (V8 and Node keep memory until exit); our own leaks
#   are what the fd and RSS tests check. The quarantine of freed memory (kept
#   unusable to catch a use after free) is 16 MB instead of 256: the RSS tests
#   bound growth at 64 MiB, and a full default quarantine alone exceeds it.
# - A report ends the process that hit it (abort_on_error, halt_on_error,
#   -fno-sanitize-recover) and is written to a log file (log_path), so a report
#   in a child whose exit status a test does not look at still fails this
#   script. libubsan is linked into the .node (-static-libubsan,
#   -Bsymbolic-functions) so that its log_path is its own: a shared libubsan
#   sets libasan's report path instead of its own and prints to stderr.
#
# Environment: SOCKMODE_ASAN_DIR (default build-asan/) is where the build and
# the logs go; SOCKMODE_ASAN_PATCH, a patch applied to the build copy (never to
# native/), checks that a planted bug is caught. Extra arguments go to vitest
# (a test file, -t pattern).
# Exit status: non-zero when the build fails, a test fails, or any sanitizer
# report was written.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${SOCKMODE_ASAN_DIR:-$root/build-asan}
mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$out/src
logs=$out/logs

t0=$SECONDS
echo "== asan: building the addon with -fsanitize=address,undefined in $src"
rm -rf "$logs" "$out/bin"
mkdir -p "$logs" "$out/bin"

# Debug info for readable reports; every UB check fatal. float-cast-overflow
# (a double out of range cast to an integer) is UB that GCC's "undefined" set
# leaves out. -fno-sanitize=vptr: Node's common.gypi builds with -fno-rtti,
# which that check needs.
san="-fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=all -fno-sanitize=vptr -g"
san_ld="-fsanitize=address,undefined -static-libubsan -Wl,-Bsymbolic-functions"
# shellcheck source=scripts/build-copy.sh
. "$root/scripts/build-copy.sh"
CFLAGS="$san" CXXFLAGS="$san" LDFLAGS="$san_ld" build_copy asan "$src" "${SOCKMODE_ASAN_PATCH:-}" "$out/build.log" || exit 1
addon=$src/build/Release/sockmode.node
readelf -d "$addon" | grep -q 'libasan' || { echo "asan: $addon is not linked against libasan"; exit 1; }
echo "== asan: built $addon in $((SECONDS - t0)) s"

# The suite's child processes import dist/: build it, as `npm test` does.
node node_modules/typescript/bin/tsc -p tsconfig.json

libasan=$(g++ -print-file-name=libasan.so)
[ -f "$libasan" ] || { echo "asan: libasan.so not found ($libasan)"; exit 1; }
libasan=$(readlink -f "$libasan")
realnode=$(command -v node)

# The launcher and the hook (see the top of this file).
{
  echo '#!/bin/sh'
  echo '# node with the ASan runtime preloaded (scripts/asan.sh)'
  echo 'case ":${LD_PRELOAD:-}:" in'
  echo "  *\":$libasan:\"*) ;;"
  echo "  *) LD_PRELOAD=\"$libasan\${LD_PRELOAD:+:\$LD_PRELOAD}\"; export LD_PRELOAD ;;"
  echo 'esac'
  echo "exec \"$realnode\" \"\$@\""
} >"$out/bin/node"
chmod +x "$out/bin/node"
cat >"$out/hook.cjs" <<'HOOK'
// Preloaded into every node process of the ASan run (scripts/asan.sh): its
// children get the ASan runtime only when they are node (the launcher).
const launcher = process.env.SOCKMODE_ASAN_NODE;
const lib = process.env.SOCKMODE_ASAN_LIB;
if (launcher && lib) {
  process.execPath = launcher;
  const rest = (process.env.LD_PRELOAD || '').split(':').filter((p) => p && p !== lib);
  if (rest.length) process.env.LD_PRELOAD = rest.join(':');
  else delete process.env.LD_PRELOAD;
}
HOOK

status=0
SOCKMODE_NATIVE="$addon" \
  SOCKMODE_ASAN_NODE="$out/bin/node" SOCKMODE_ASAN_LIB="$libasan" \
  PATH="$out/bin:$PATH" \
  NODE_OPTIONS="--require $out/hook.cjs${NODE_OPTIONS:+ $NODE_OPTIONS}" \
  ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:quarantine_size_mb=16:log_path=$logs/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
  UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$logs/ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
  "$out/bin/node" node_modules/vitest/vitest.mjs run "$@" || status=$?

reports=$(find "$logs" -type f -size +0c | sort)
if [ -n "$reports" ]; then
  echo "== asan: sanitizer reports:"
  for f in $reports; do
    echo "--- $f"
    cat "$f"
  done
  status=1
fi
elapsed=$((SECONDS - t0))
if [ "$status" -ne 0 ]; then
  echo "asan: FAILED (a test failed or a sanitizer reported) after ${elapsed} s"
  exit "$status"
fi
echo "asan: passed, no sanitizer report (${elapsed} s)"
