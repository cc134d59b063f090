#!/usr/bin/env bash
# The demo: both tutorials, in sandboxes, through the library.
#  1. The VXLAN overlay, on this machine's kernel, between network namespaces.
#  2. LVS (NAT and DR) in a user-mode-linux kernel, since this kernel has no IPVS.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (it creates network namespaces)" >&2; exit 1; }
[ -f build/Release/nl_lvs.node ] || { echo "demo: the native addon is not built; run 'npm ci'" >&2; exit 1; }
[ -f dist/index.js ] || npm run build --silent

echo "################ 1. A VXLAN overlay (host kernel $(uname -r)) ################"
node examples/vxlan-tutorial.mjs

echo
echo "################ 2. LVS with nl-lvs instead of ipvsadm (user-mode-linux kernel) ################"
if command -v linux.uml >/dev/null 2>&1; then
  bash scripts/uml/run.sh node examples/lvs-tutorial.mjs
elif [ -e /proc/net/ip_vs ]; then
  node examples/lvs-tutorial.mjs
else
  echo "demo: this kernel has no IPVS and user-mode-linux is not installed: run scripts/install-system-deps.sh" >&2
  exit 1
fi
