#!/usr/bin/env bash
# The native test suite under AddressSanitizer + UndefinedBehaviorSanitizer
# (gcc's runtimes, which Debian ships with gcc: no clang needed).
#
# Recipe: node is not instrumented, so the addon is built with
# -fsanitize=address,undefined in a copy of the tree (native-tree.sh; the
# build/ other tests use is never touched) and node runs with libasan
# preloaded (LD_PRELOAD), which must come before any instrumented library.
# Leaks are checked by LeakSanitizer at a normal process exit.
#
# "The native test suite" is what exercises native code: the host tests of
# the socket, namespaces, events and the packet tap (FILES below), and
# test/reliability/native-exercise.ts, which walks every addon path in one
# process that exits normally (vitest workers are killed at the end, so
# their leaks are never checked; memory errors are, as they happen).
# Reports are attributed by scripts/reliability/sanitizer-report.mjs: a
# report counts against the addon when a frame is in nl_lvs.node; node's and
# the fixture tools' own reports (they inherit LD_PRELOAD) are listed apart.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
tree=${NL_ASAN_TREE:-/var/tmp/nl-lvs-asan}
FILES=(test/host/protocol.test.ts test/host/events.test.ts test/host/tap.test.ts test/host/links.test.ts
  test/host/link-lifecycle.test.ts test/host/fdb-batch.test.ts test/host/fault-events.test.ts test/host/fault-protocol.test.ts
  test/host/fault-netns.test.ts test/host/fault-soak.test.ts test/host/security-foreign.test.ts test/host/security-unprivileged.test.ts)

started=$(date +%s)
echo "asan: building the addon with -fsanitize=address,undefined in $tree"
bash scripts/reliability/native-tree.sh "$tree" \
  "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g -O1" \
  "-fsanitize=address,undefined" >/dev/null
logs="$tree/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
node_modules/.bin/esbuild test/reliability/native-exercise.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile="$tree/test/reliability/native-exercise.bundle.mjs" --log-level=warning

export LD_PRELOAD
LD_PRELOAD=$(gcc -print-file-name=libasan.so)
export ASAN_OPTIONS="detect_leaks=1:log_path=$logs/asan:halt_on_error=0:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$logs/ubsan:halt_on_error=0"
status=0
# The control: an addon that leaks and overflows on purpose must be caught by this same setup.
canary="$tree/canary"
mkdir -p "$canary"
LD_PRELOAD='' gcc -shared -fPIC -g -O0 -fsanitize=address,undefined -I/usr/include/node \
  scripts/reliability/sanitizer-canary.c -o "$canary/canary.node"
for fn in leak overflow; do
  ASAN_OPTIONS="detect_leaks=1:log_path=$canary/asan" node -e "require('$canary/canary.node').$fn()" 2>/dev/null || true
done
if grep -qs 'Leak .*sanitizer-canary.c' "$canary"/asan.* && grep -qs 'heap-buffer-overflow' "$canary"/asan.*; then
  echo "asan: control addon: its leak and its overflow were both reported (the checks are live)"
else
  echo "asan: control addon NOT reported: the sanitizer setup does not work" >&2
  status=1
fi
cd "$tree"
echo "asan: native-exercise (3 rounds, leak check at exit)"
node --expose-gc test/reliability/native-exercise.bundle.mjs 3 || status=1
echo "asan: host tests that exercise native code (${#FILES[@]} files)"
node node_modules/vitest/vitest.mjs run --project host "${FILES[@]}" || status=1
unset LD_PRELOAD
cd "$repo"
node scripts/reliability/sanitizer-report.mjs "$logs" || status=1
echo "asan: done in $(($(date +%s) - started)) s, status $status"
exit $status
