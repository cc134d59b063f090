#!/usr/bin/env bash
# Smoke check of the UML test environment (scripts/uml/run.sh):
#   bash scripts/uml/check.sh
# Boots UML three times (~3 s each): IPVS + iptables-legacy + bridge/vxlan +
# node inside the guest, then checks that exit statuses propagate.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
RUN="$HERE/run.sh"
fail() { echo "uml/check.sh: FAIL: $*" >&2; exit 1; }

bash "$RUN" sh -c '
  set -e
  ipvsadm -A -t 192.0.2.1:80 -s rr
  ipvsadm -Ln
  iptables-legacy -t mangle -L -n
  ip link add br0 type bridge
  ip link add vx0 type vxlan id 42 dstport 4789 local 192.0.2.1
  ip -d link show vx0
  node -e "console.log(process.version)"
  test "$NL_LVS_UML" = 1
'
rc=$?
if [ "$rc" = 2 ]; then exit 2; fi # run.sh already said why (e.g. not installed)
[ "$rc" = 0 ] || fail "smoke commands exited with $rc"

bash "$RUN" false
rc=$?
[ "$rc" != 0 ] || fail "'false' inside UML gave exit status 0"
[ "$rc" = 1 ] || fail "'false' inside UML gave exit status $rc, expected 1"

bash "$RUN" true
rc=$?
[ "$rc" = 0 ] || fail "'true' inside UML gave exit status $rc"

echo OK
