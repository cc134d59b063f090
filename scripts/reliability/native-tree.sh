#!/usr/bin/env bash
# Copies the work tree (tracked and new files, not build/ nor node_modules,
# which is linked) to DIR and builds the addon there with extra compiler and
# linker flags, so an instrumented build never replaces the one in build/
# that other test runs are using.
#   native-tree.sh DIR "CXXFLAGS" "LDFLAGS"
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
dir=$1 cxxflags=$2 ldflags=$3
rm -rf "$dir"
mkdir -p "$dir"
(cd "$repo" && git ls-files -co --exclude-standard -z | grep -zv '^build/' | tar --null -T - -cf -) | tar -C "$dir" -xf -
ln -s "$repo/node_modules" "$dir/node_modules"
gyp=$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js
[ -f "$gyp" ] || gyp=/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js
nodedir=$(node -p 'require("path").resolve(process.execPath, "../..")')
[ -f "$nodedir/include/node/node_api.h" ] || nodedir=/usr
(cd "$dir" && CXXFLAGS="$cxxflags" CFLAGS="$cxxflags" LDFLAGS="$ldflags" node "$gyp" rebuild --nodedir="$nodedir" >"$dir/build.log" 2>&1) || {
  tail -30 "$dir/build.log" >&2
  exit 1
}
echo "$dir/build/Release/nl_lvs.node"
