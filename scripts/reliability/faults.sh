#!/usr/bin/env bash
# The long fault-injection runs: ENOBUFS → overrun → resync 100 times (npm
# test does 10), NLM_F_DUMP_INTR and AbortSignal 100 times each (as in npm
# test), and the 10^5-call API fuzz (as in npm test). Usage: faults.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
FAULT_RUNS=${1:-100} node node_modules/vitest/vitest.mjs run --project host \
  test/host/fault-events.test.ts test/host/fault-protocol.test.ts test/host/fault-netns.test.ts test/host/security-validation.test.ts
