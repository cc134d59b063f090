#!/usr/bin/env bash
# Benchmarks: nl-lvs against ipvsadm, iproute2, pyroute2, vishvananda/netlink
# and a C floor on libnl. See BENCHMARKS.md (written by a full run).
#
#   bash benchmarks/run.sh             full run (~15-20 min), regenerates BENCHMARKS.md
#   bash benchmarks/run.sh --quick     small sizes, a few minutes; exits 1 when nl-lvs
#                                      is slower than ipvsadm -R on the small IPVS bulk create
#   bash benchmarks/run.sh --gate      that gate alone (the small IPVS bulk create, 3 rounds,
#                                      no peers to install): what `npm test` runs, ~2 min
#   options: --runs N (rounds per case, default 5), --only rtnl|ipvs, --no-profile,
#            --cases id,id (run only these cases)
#
# Needs root (namespaces); installs its peers with scripts/install-system-deps.sh --bench: the C toolchain with libnl-3/libnl-genl-3/libnl-route-3
# headers, golang-go + golang-github-vishvananda-netlink-dev, python3-pyroute2,
# ipvsadm, iproute2 and user-mode-linux. A missing peer is skipped and reported.
# Everything built or measured goes to $NL_LVS_BENCH_DIR (default
# /var/tmp/nl-lvs-bench: not /tmp, which is a fresh tmpfs inside UML).
set -euo pipefail

QUICK=0
RUNS=5
ONLY=""
CASES=""
PROFILE=1
GATE=0
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1; shift ;;
    --gate) GATE=1; QUICK=1; ONLY=ipvs; CASES=ipvs-create; RUNS=3; PROFILE=0; shift ;;
    --runs) RUNS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --cases) CASES=$2; shift 2 ;;
    --no-profile) PROFILE=0; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "benchmarks/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
DIR=${NL_LVS_BENCH_DIR:-/var/tmp/nl-lvs-bench}
BIN=$DIR/bin
PKG=$DIR/pkg
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
MODE=$([ $QUICK = 1 ] && echo quick || echo full)
WORK=$DIR/runs/$STAMP-$MODE
mkdir -p "$BIN" "$WORK"
export NL_LVS_BENCH_BIN=$BIN NL_LVS_BENCH_PKG=$PKG NL_LVS_BENCH_WORK=$WORK

say() { printf '\n== %s\n' "$*"; }
[ "$(id -u)" = 0 ] || { echo "benchmarks/run.sh: needs root (network namespaces)" >&2; exit 2; }
# The gate needs only what the tests need (ipvsadm, UML, libnl headers for the floor).
if [ $GATE = 1 ]; then bash "$ROOT/scripts/install-system-deps.sh"; else bash "$ROOT/scripts/install-system-deps.sh" --bench; fi

say "building the C floor and helpers ($BIN)"
make -s -C "$ROOT/benchmarks/floor" OUT="$BIN"

say "building the vishvananda/netlink peer"
if [ $GATE = 1 ]; then
  echo "(not needed for the gate)"
elif command -v go >/dev/null && [ -d /usr/share/gocode/src/github.com/vishvananda/netlink ]; then
  # GOPATH mode on Debian's packaged sources: no module downloads.
  (cd "$ROOT/benchmarks/peers/vishvananda" &&
    GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off GOCACHE="$DIR/gocache" \
      go build -o "$BIN/vishvananda-bench" .) || echo "warning: the Go peer did not build; it will be skipped"
else
  rm -f "$BIN/vishvananda-bench"
  echo "warning: golang-go or golang-github-vishvananda-netlink-dev missing; the Go peer is skipped"
fi

say "building nl-lvs into $PKG (a private copy: others may rebuild the tree meanwhile)"
rm -rf "$PKG" && mkdir -p "$PKG/build/Release"
cp "$ROOT/package.json" "$PKG/"
if [ ! -f "$ROOT/build/Release/nl_lvs.node" ]; then
  (cd "$ROOT" && npx --no-install node-gyp rebuild >/dev/null)
fi
cp "$ROOT/build/Release/nl_lvs.node" "$PKG/build/Release/"
# tsc emits even when another file has type errors; the run then says so.
(cd "$ROOT" && npx --no-install tsc -p tsconfig.json --outDir "$PKG/dist") ||
  echo "warning: tsc reported errors (see above); benchmarking what it emitted"
[ -f "$PKG/dist/index.js" ] || { echo "benchmarks/run.sh: the library did not build" >&2; exit 1; }
if [ -f "$ROOT/bin/nl-ipvsadm.js" ]; then
  mkdir -p "$PKG/bin" && cp "$ROOT/bin/nl-ipvsadm.js" "$PKG/bin/"
fi

ARGS=(--runs "$RUNS")
[ $QUICK = 1 ] && ARGS+=(--quick)
[ $PROFILE = 1 ] && [ $QUICK = 0 ] || ARGS+=(--no-profile)
[ -n "$CASES" ] && ARGS+=(--only "$CASES")

START=$SECONDS
if [ "$ONLY" != ipvs ]; then
  say "rtnetlink cases on the host kernel ($(uname -r))"
  node "$ROOT/benchmarks/harness/main.mjs" rtnl --out "$WORK/rtnl.json" "${ARGS[@]}"
fi
if [ "$ONLY" != rtnl ]; then
  say "IPVS cases inside user-mode Linux"
  # 3G: 10k services x 4 destinations, or 100k connections, per namespace. The
  # ipvsadm -C + -R peer of the 1% apply alone takes ~1 min a run (the trash list).
  NL_LVS_UML_TIMEOUT=${NL_LVS_UML_TIMEOUT:-5400} \
    bash "$ROOT/scripts/uml/run.sh" --mem 3G node "$ROOT/benchmarks/harness/main.mjs" ipvs --out "$WORK/ipvs.json" "${ARGS[@]}"
fi
say "measured in $((SECONDS - START)) s; results in $WORK"

REPORT=(node "$ROOT/benchmarks/harness/report.mjs" --dir "$WORK")
if [ $QUICK = 1 ] && [ "$ONLY" != rtnl ] && { [ -z "$CASES" ] || [[ ",$CASES," == *,ipvs-create,* ]]; }; then
  "${REPORT[@]}" --quick # prints, and exits 1 when nl-lvs is slower than ipvsadm -R
elif [ -n "$ONLY" ] || [ -n "$CASES" ] || [ $QUICK = 1 ]; then
  "${REPORT[@]}" # a partial run: print, write nothing, gate nothing
else
  "${REPORT[@]}" --write "$ROOT/BENCHMARKS.md"
fi
