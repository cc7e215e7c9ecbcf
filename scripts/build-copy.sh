# Sourced by scripts/asan.sh and scripts/valgrind.sh: builds a copy of the
# addon with other compiler flags, never in build/ (which the normal build and
# the tests own).
#
# build_copy NAME SRC PATCH LOG: copies binding.gyp and native/ into SRC,
# applies PATCH to the copy when it is not empty (a planted bug, to check that
# the tool catches it; native/ itself is never patched), and runs
# `node-gyp rebuild` there with CFLAGS/CXXFLAGS/LDFLAGS from the environment,
# against the Node headers npm is configured with (nodedir), else the ones
# beside this node. The build's output goes to LOG, shown when it fails.
# Needs $root (the repository). Returns non-zero when the build fails.
build_copy() {
  local name=$1 src=$2 patch=$3 log=$4
  # Every step checks its own status: `set -e` does not apply inside a
  # function called as `build_copy ... || exit 1`.
  rm -rf "$src" && mkdir -p "$src" || return 1
  cp "$root/binding.gyp" "$src/" && cp -R "$root/native" "$src/native" || return 1
  if [ -n "$patch" ]; then
    echo "== $name: applying $patch to the build copy"
    patch -d "$src" -p1 <"$patch" || return 1
  fi
  local nodedir=${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null || true)}
  if [ -z "$nodedir" ] || [ "$nodedir" = undefined ] || [ "$nodedir" = null ]; then
    nodedir=$(dirname "$(dirname "$(command -v node)")")
  fi
  local gyp_args=()
  [ -f "$nodedir/include/node/node_api.h" ] && gyp_args+=(--nodedir="$nodedir")
  (
    cd "$src"
    # binding.gyp's include_dirs runs `node -p "require('node-addon-api')..."` here.
    export NODE_PATH="$root/node_modules"
    node "$root/node_modules/node-gyp/bin/node-gyp.js" rebuild "${gyp_args[@]}" --jobs="$(nproc)" >"$log" 2>&1
  ) || {
    cat "$log"
    echo "$name: the build failed"
    return 1
  }
}
