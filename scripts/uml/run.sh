#!/usr/bin/env bash
# Run a command inside a throw-away user-mode-linux (UML) guest that has IPVS.
#
#   bash scripts/uml/run.sh [--mem 2G] [--] COMMAND [ARGS...]
#
# Why: the host kernel has no IPVS and cannot load modules. Debian's
# user-mode-linux package ships a 6.1 kernel (/usr/bin/linux.uml) with IPVS,
# bridge, vxlan, netfilter... as modules in /usr/lib/uml/modules/<ver>. It
# boots in ~1.5 s on the host's own root filesystem over hostfs, so the repo,
# node and node_modules are all visible inside the guest unchanged.
#
# Recipe:
#   linux.uml mem=2G rootfstype=hostfs rootflags=/ rw init=INIT \
#       con0=null,fd:1 con=null quiet nl_lvs_rundir=RUNDIR
# INIT (scripts/uml/init.sh, copied into RUNDIR) mounts proc/sysfs, tmpfs on
# /tmp, /run and /dev/shm, devpts, brings lo up, points modprobe at the UML
# module tree (symlink DIR/lib/modules/<ver> -> /usr/lib/uml/modules/<ver>,
# `modprobe -d DIR`, also used for the kernel's on-demand loading and by a
# `modprobe` wrapper put first on PATH), loads ip_vs (fatal if it fails) and
# the other modules (warnings only), runs RUNDIR/job.sh, writes the exit
# status to RUNDIR/result, syncs and powers off.
#
# Notes:
# - UML's own exit status does NOT carry the command's result: it is passed
#   back in RUNDIR/result. No result file (crash, OOM, timeout) = failure.
# - Writes inside UML go straight to the real disk (hostfs is the host's /),
#   so the guest mounts tmpfs on /tmp, /run, /dev/shm (netns files, xtables
#   lock, scratch) and over ./node_modules/.vite{,-temp} (vitest/vite caches).
#   Hence the run directory must not live under /tmp: it is
#   <repo>/.uml-run/run.XXXXXXXX (gitignored), or /var/tmp/nl-lvs-uml.XXXXXXXX.
# - The command's stdout+stderr go, merged and in order, to RUNDIR/output,
#   which this script streams with `tail -f` (hostfs writes are visible on the
#   host immediately). Kernel console noise goes to RUNDIR/console.log and is
#   only shown if the guest dies without a result.
# - Inside UML, iptables-nft does not work: use iptables-legacy.
# - Everything is per run (run dir, umid, uml_dir), so concurrent runs are fine.
#
# Environment inside the guest: PATH (host PATH, with node's directory and the
# modprobe wrapper dir first), HOME=/root, TERM=dumb, NL_LVS_UML=1,
# NL_LVS_UML_NODE=<absolute path of node on the host>, TMPDIR=/tmp,
# XDG_CACHE_HOME=/tmp/.cache, npm_config_cache=/tmp/.npm, CI (if set), and
# every NL_LVS_* / VITEST* variable of the caller. cwd = the caller's cwd.
# stdin is /dev/null.
#
# Knobs: NL_LVS_UML_TIMEOUT (seconds, default 1800), NL_LVS_UML_MEM (default
# 2G, overridden by --mem), NL_LVS_UML_BIN (default: linux.uml on PATH),
# NL_LVS_UML_KEEP=1 (keep the run directory), NL_LVS_UML_VERBOSE=1 (print the
# kernel console log after the run).
#
# Exit status: the command's own, or 2 (usage / UML not installed),
# 124 (timeout), 125 (guest setup failed, e.g. ip_vs did not load),
# 126 (UML died without a result), 130/143 (interrupted).

set -u

usage() {
  echo "usage: bash scripts/uml/run.sh [--mem 2G] [--] COMMAND [ARGS...]" >&2
  exit 2
}
die() {
  echo "uml/run.sh: $*" >&2
  exit 2
}

MEM=${NL_LVS_UML_MEM:-2G}
while [ $# -gt 0 ]; do
  case $1 in
    --mem) [ $# -ge 2 ] || usage; MEM=$2; shift 2 ;;
    --mem=*) MEM=${1#--mem=}; shift ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || usage
[[ $MEM =~ ^[0-9]+[kKmMgG]?$ ]] || die "bad --mem value '$MEM' (e.g. 2G, 1536M)"

TIMEOUT=${NL_LVS_UML_TIMEOUT:-1800}
[[ $TIMEOUT =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -gt 0 ] ||
  die "NL_LVS_UML_TIMEOUT must be a positive number of seconds (got '$TIMEOUT')"

# --- prerequisites -----------------------------------------------------------
UML=${NL_LVS_UML_BIN:-$(command -v linux.uml 2>/dev/null || echo /usr/bin/linux.uml)}
if [ ! -x "$UML" ] || [ ! -d /usr/lib/uml/modules ]; then
  echo "uml/run.sh: user-mode-linux is not installed; run scripts/install-system-deps.sh" >&2
  exit 2
fi
KVER=$("$UML" --version 2>/dev/null | tail -n 1)
if [ -z "$KVER" ] || [ ! -d "/usr/lib/uml/modules/$KVER" ]; then
  echo "uml/run.sh: no modules for UML kernel '$KVER' in /usr/lib/uml/modules;" \
    "user-mode-linux is not installed properly; run scripts/install-system-deps.sh" >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "uml/run.sh: warning: not root; the guest sees the host filesystem with your permissions" >&2
fi

NODE=$(command -v node 2>/dev/null || true)
[ -z "$NODE" ] || NODE=$(readlink -f "$NODE")

CWD=$(pwd -P)
case "$CWD/" in
  /run/*|/dev/shm/*|/proc/*|/sys/*)
    die "the current directory ($CWD) is on a path that is a fresh tmpfs (or virtual fs) inside UML; run from elsewhere (e.g. /var/tmp)" ;;
esac
# A checkout under /tmp (CI clones may live there) stays visible: init.sh
# re-binds these host directories over the guest's tmpfs /tmp.
KEEP_UNDER_TMP=()
case "$CWD/" in /tmp/*) KEEP_UNDER_TMP+=("$CWD") ;; esac

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd -P)

# --- per-run directory -------------------------------------------------------
# The path goes on the kernel command line: keep it to plain characters.
safe_path() { [[ $1 =~ ^/[A-Za-z0-9._/+-]+$ ]]; }
RUNDIR=""
if safe_path "$REPO_ROOT" && mkdir -p "$REPO_ROOT/.uml-run" 2>/dev/null; then
  RUNDIR=$(mktemp -d "$REPO_ROOT/.uml-run/run.XXXXXXXX" 2>/dev/null || true)
fi
[ -n "$RUNDIR" ] || RUNDIR=$(mktemp -d /var/tmp/nl-lvs-uml.XXXXXXXX) ||
  die "cannot create a run directory"

UML_PID=""
TAIL_PID=""
cleanup() {
  trap - EXIT INT TERM HUP
  if [ -n "$UML_PID" ]; then
    if kill -0 "$UML_PID" 2>/dev/null; then
      kill -TERM -- "-$UML_PID" 2>/dev/null
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 "$UML_PID" 2>/dev/null || break
        sleep 0.2
      done
    fi
    kill -KILL -- "-$UML_PID" 2>/dev/null
  fi
  [ -z "$TAIL_PID" ] || kill "$TAIL_PID" 2>/dev/null
  if [ "${NL_LVS_UML_KEEP:-0}" = 1 ]; then
    echo "uml/run.sh: kept run directory $RUNDIR" >&2
  else
    rm -rf -- "$RUNDIR"
  fi
}
trap cleanup EXIT
trap 'echo "uml/run.sh: interrupted" >&2; exit 130' INT
trap 'echo "uml/run.sh: terminated" >&2; exit 143' TERM HUP

install -m 755 "$SCRIPT_DIR/init.sh" "$RUNDIR/init" || die "cannot copy init.sh"
: >"$RUNDIR/output"

# --- the job -----------------------------------------------------------------
# /run/nl-lvs-uml/bin holds the guest's `modprobe` wrapper (see init.sh).
GUEST_PATH=$PATH
[ -z "$NODE" ] || GUEST_PATH="$(dirname "$NODE"):$GUEST_PATH"
GUEST_PATH="/run/nl-lvs-uml/bin:$GUEST_PATH"

ENVS=()
while IFS= read -r name; do
  case $name in NL_LVS_*|VITEST*) ENVS+=("$name=${!name}") ;; esac
done < <(compgen -e)
[ -z "${CI+x}" ] || ENVS+=("CI=$CI")
ENVS+=(
  "PATH=$GUEST_PATH"
  "HOME=/root"
  "TERM=dumb"
  "NL_LVS_UML=1"
  "TMPDIR=/tmp"
  "XDG_CACHE_HOME=/tmp/.cache"
  "npm_config_cache=/tmp/.npm"
  "npm_config_update_notifier=false"
)
[ -z "$NODE" ] || ENVS+=("NL_LVS_UML_NODE=$NODE")

# Caches: vite/vitest write under <root>/node_modules/.vite and .vite-temp.
# Create the (empty) mount points on the host once; the guest mounts tmpfs
# over them so cache files never reach the real disk.
if [ -d "$CWD/node_modules" ] && [ -w "$CWD/node_modules" ]; then
  mkdir -p "$CWD/node_modules/.vite" "$CWD/node_modules/.vite-temp" 2>/dev/null || true
fi

{
  echo "# generated by scripts/uml/run.sh"
  printf 'cd -- %q || { echo "[uml] error: cannot cd to %q" >&2; exit 125; }\n' "$CWD" "$CWD"
  echo 'for d in node_modules/.vite node_modules/.vite-temp; do'
  echo '  [ -d "$d" ] && mount -t tmpfs -o mode=755 tmpfs "$d"'
  echo 'done'
  printf 'exec env -i --'
  printf ' %q' "${ENVS[@]}" "$@"
  printf '\n'
} >"$RUNDIR/job.sh"
printf '%s\n' "${KEEP_UNDER_TMP[@]}" >"$RUNDIR/keep-under-tmp"

# --- boot ----------------------------------------------------------------------
# setsid: UML and all its helper processes get their own process group, so
# timeouts and Ctrl-C can kill all of them and nothing else.
setsid "$UML" "mem=$MEM" rootfstype=hostfs rootflags=/ rw "init=$RUNDIR/init" \
  con0=null,fd:1 con=null quiet \
  "uml_dir=$RUNDIR/uml" umid=nl-lvs "nl_lvs_rundir=$RUNDIR" \
  </dev/null >"$RUNDIR/console.log" 2>&1 &
UML_PID=$!

tail -n +1 -s 0.1 --pid="$UML_PID" -f "$RUNDIR/output" &
TAIL_PID=$!

# bash reports a background job killed by a signal ("line N: PID Killed ...")
# on stderr when it reaps it: keep that out, messages go to fd 3.
exec 3>&2
TIMED_OUT=0
START=$SECONDS
while kill -0 "$UML_PID" 2>/dev/null; do
  if [ $((SECONDS - START)) -ge "$TIMEOUT" ]; then
    TIMED_OUT=1
    echo "uml/run.sh: timeout after ${TIMEOUT}s (NL_LVS_UML_TIMEOUT); killing UML" >&3
    kill -TERM -- "-$UML_PID" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$UML_PID" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$UML_PID" 2>/dev/null
    break
  fi
  # `wait -n`-free polling keeps the traps responsive; 0.2 s is negligible.
  sleep 0.2
done 2>/dev/null
{ wait "$UML_PID"; } 2>/dev/null
UML_RC=$?
# UML's helper processes can outlive the main one when it is killed: reap the
# whole (private) process group.
kill -KILL -- "-$UML_PID" 2>/dev/null
UML_PID=""
wait "$TAIL_PID" 2>/dev/null
TAIL_PID=""

if [ "${NL_LVS_UML_VERBOSE:-0}" = 1 ]; then
  echo "---- UML console (exit $UML_RC) ----" >&2
  cat "$RUNDIR/console.log" >&2
fi

RC=""
[ -f "$RUNDIR/result" ] && RC=$(tr -d '[:space:]' <"$RUNDIR/result")
if [[ $RC =~ ^[0-9]+$ ]]; then
  exit "$RC"
fi

if [ "$TIMED_OUT" = 1 ]; then
  exit 124
fi
{
  echo "uml/run.sh: UML exited (status $UML_RC) without writing a result: the guest crashed, ran out of memory or was killed."
  echo "uml/run.sh: last lines of the kernel console:"
  tail -n 40 "$RUNDIR/console.log" | sed 's/\r$//; s/^/  | /'
} >&2
exit 126
