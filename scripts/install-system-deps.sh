#!/usr/bin/env bash
# Install the Debian/Ubuntu system packages nl-lvs needs to build, test and
# demo: a C++ toolchain and libnl headers for the N-API addon, iproute2,
# ipvsadm and iptables for the tests, and user-mode-linux (a 6.1 kernel with
# IPVS as modules, used by scripts/uml/run.sh when the host kernel has no IPVS).
#
#   sudo bash scripts/install-system-deps.sh
#
# Idempotent: installs only what is missing, runs `apt-get update` only when
# something is missing, and takes well under a second when all is present.
set -euo pipefail

# --bench adds the benchmark peers (npm run bench).
BENCH_PACKAGES=(
  python3-pyroute2 golang-go golang-github-vishvananda-netlink-dev time
)

PACKAGES=(
  build-essential python3 make g++ pkg-config
  libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libpcap-dev
  user-mode-linux kmod
  iproute2 iputils-ping ipvsadm iptables tcpdump procps util-linux
  ca-certificates
)

[ "${1:-}" = "--bench" ] && PACKAGES+=("${BENCH_PACKAGES[@]}")

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-system-deps.sh: apt-get/dpkg-query not found: this script supports Debian-like systems only." >&2
  echo "install-system-deps.sh: install the equivalents of: ${PACKAGES[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps.sh: must run as root (try: sudo bash $0)" >&2
  exit 1
fi

# One dpkg-query for all packages; unknown packages are simply absent from
# its output (it complains on stderr and exits 1, which we ignore).
declare -A installed=()
while read -r name status; do
  case $status in *" ok installed") installed[$name]=1 ;; esac
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)

missing=()
for p in "${PACKAGES[@]}"; do
  [ -n "${installed[$p]:-}" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-system-deps.sh: installing: ${missing[*]}" >&2
apt-get update -q >&2 || {
  echo "install-system-deps.sh: apt-get update failed" >&2
  exit 1
}
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 || {
  echo "install-system-deps.sh: apt-get install failed for: ${missing[*]}" >&2
  exit 1
}
echo "system packages: installed ${missing[*]}"
