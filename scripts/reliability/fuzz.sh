#!/usr/bin/env bash
# The long fuzz: 10^6 mutated and random inputs through every decoder, and
# 2·10^5 datagrams through the Connection's receive path (npm test runs 10^5
# and 2·10^4). Usage: fuzz.sh [INPUTS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
inputs=${1:-1000000}
seed=${2:-$RANDOM}
NL_RUN=fuzz-decoders node node_modules/vite-node/vite-node.mjs test/reliability/fuzz-decoders.ts -- "$inputs" "$seed"
NL_RUN=fuzz-dispatch node node_modules/vite-node/vite-node.mjs test/reliability/fuzz-dispatch.ts -- "$((inputs / 5))" "$seed"
