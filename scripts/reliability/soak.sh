#!/usr/bin/env bash
# Soak: 10^6 kernel operations (link get, address add/delete, fdb add/delete,
# dumps) in a fresh namespace, with file descriptors and RSS measured from a
# collected heap; then 1000 dropped handles and GC. Fails if fds moved, RSS
# grew 5% or more, or any operation failed. Usage: soak.sh [OPS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ops=${1:-1000000}
ns="nlt-soak-$$"
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip -n "$ns" link set lo up
# glibc gives each thread that allocates its own arena and keeps what is freed
# there; V8's GC helper threads make RSS creep by a few MiB per 10^6 ops that
# way (the V8 heap, external memory and fds stay flat; valgrind finds nothing
# lost). Two arenas show what is live. MALLOC_ARENA_MAX= (empty) for glibc's default.
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX-2}
run() { node --expose-gc node_modules/vite-node/vite-node.mjs test/reliability/soak.ts -- "$@"; }
soak=$(run soak "$ns" "$ops" | tail -1)
gc=$(run gc "$ns" 1000 | tail -1)
echo "soak: $soak"
echo "gc:   $gc"
node -e '
  const s = JSON.parse(process.argv[1]), g = JSON.parse(process.argv[2]);
  const bad = [];
  if (s.failures !== 0) bad.push(`${s.failures} operations failed`);
  if (s.fdEnd !== s.fdStart) bad.push(`fds ${s.fdStart} -> ${s.fdEnd}`);
  if (!(s.rssGrowthPercent < 5)) bad.push(`RSS grew ${s.rssGrowthPercent.toFixed(2)}%`);
  if (g.after !== g.before) bad.push(`dropped handles left ${g.after - g.before} fds open`);
  console.log(bad.length ? `soak: FAILED: ${bad.join("; ")}` :
    `soak: ${s.ops} ops in ${s.seconds.toFixed(0)} s, 0 failures, fds ${s.fdStart} -> ${s.fdEnd} (max ${s.fdMax}), ` +
    `RSS ${(s.rssStart / 2 ** 20).toFixed(1)} -> ${(s.rssEnd / 2 ** 20).toFixed(1)} MiB (${s.rssGrowthPercent.toFixed(2)}%); ` +
    `gc: ${g.handles} dropped handles, fds ${g.before} -> ${g.peak} -> ${g.after}`);
  process.exitCode = bad.length ? 1 : 0;
' "$soak" "$gc"
