// Checks lib/uapi/*.ts against the kernel headers installed on this machine (Debian 12:
// linux-libc-dev 6.1). A C program prints every constant; the values must match the TS exports.
// Constants newer than 6.1 cannot be checked here and are listed in NEWER_THAN_6_1; the test
// also proves that list is exact (each of them really is missing from the 6.1 headers).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as netlink from '../../lib/uapi/netlink.js';
import * as genetlink from '../../lib/uapi/genetlink.js';
import * as rtnetlink from '../../lib/uapi/rtnetlink.js';
import * as ifLink from '../../lib/uapi/if_link.js';
import * as ifMod from '../../lib/uapi/if.js';
import * as ifAddr from '../../lib/uapi/if_addr.js';
import * as neighbour from '../../lib/uapi/neighbour.js';
import * as ifBridge from '../../lib/uapi/if_bridge.js';
import * as ipVs from '../../lib/uapi/ip_vs.js';
import * as linux from '../../lib/uapi/linux.js';

const MODULES: Record<string, Record<string, unknown>> = {
  netlink, genetlink, rtnetlink, if_link: ifLink, if: ifMod, if_addr: ifAddr,
  neighbour, if_bridge: ifBridge, ip_vs: ipVs, linux,
};

// In the newest headers but not in the 6.1 ones: skipped (values come from newer uapi).
const NEWER_THAN_6_1 = [
  'BRIDGE_VLANDB_ENTRY_MCAST_N_GROUPS', 'BRIDGE_VLANDB_ENTRY_MCAST_MAX_GROUPS',
  'BRIDGE_VLANDB_ENTRY_NEIGH_SUPPRESS', 'BRIDGE_VLANDB_ENTRY_NEIGH_FORWARD_GRAT',
  'BR_BOOLOPT_MDB_OFFLOAD_FAIL_NOTIFICATION', 'BR_BOOLOPT_FDB_LOCAL_VLAN_0', 'IFLA_DEVLINK_PORT',
  'IFLA_GSO_IPV4_MAX_SIZE', 'IFLA_GRO_IPV4_MAX_SIZE', 'IFLA_DPLL_PIN',
  'IFLA_MAX_PACING_OFFLOAD_HORIZON', 'IFLA_NETNS_IMMUTABLE', 'IFLA_HEADROOM', 'IFLA_TAILROOM',
  'IFLA_BR_FDB_N_LEARNED', 'IFLA_BR_FDB_MAX_LEARNED', 'IFLA_BR_STP_MODE', 'BR_STP_MODE_AUTO',
  'BR_STP_MODE_USER', 'BR_STP_MODE_KERNEL', 'IFLA_BRPORT_MAB', 'IFLA_BRPORT_MCAST_N_GROUPS',
  'IFLA_BRPORT_MCAST_MAX_GROUPS', 'IFLA_BRPORT_NEIGH_VLAN_SUPPRESS', 'IFLA_BRPORT_BACKUP_NHID',
  'IFLA_BRPORT_NEIGH_FORWARD_GRAT', 'IFLA_MACVLAN_BC_CUTOFF', 'IFLA_VXLAN_LOCALBYPASS',
  'IFLA_VXLAN_LABEL_POLICY', 'IFLA_VXLAN_RESERVED_BITS', 'IFLA_VXLAN_MC_ROUTE',
  'VXLAN_LABEL_FIXED', 'VXLAN_LABEL_INHERIT', 'NTF_EXT_LOCKED', 'NTF_EXT_EXT_VALIDATED',
  'NL_ATTR_TYPE_SINT', 'NL_ATTR_TYPE_UINT', 'RTM_NEWMULTICAST', 'RTM_DELMULTICAST',
  'RTM_NEWANYCAST', 'RTM_DELANYCAST', 'RTPROT_OVN', 'RTA_FLOWLABEL', 'RTNLGRP_IPV4_MCADDR',
  'RTNLGRP_IPV6_MCADDR', 'RTNLGRP_IPV6_ACADDR', 'RTEXT_FILTER_NAME_ONLY',
];

// Exported for convenience but defined outside uapi (ip_vs_mh.c, include/net/ip_vs.h).
const NOT_UAPI = [
  'IP_VS_SVC_F_SCHED_MH_FALLBACK', 'IP_VS_SVC_F_SCHED_MH_PORT',
  'IP_VS_DEST_F_AVAILABLE', 'IP_VS_DEST_F_OVERLOAD',
];

// Constants that are not a header macro/enum of the same name.
const C_EXPR: Record<string, string> = {
  IFINFOMSG_LEN: 'sizeof(struct ifinfomsg)',
  IFADDRMSG_LEN: 'sizeof(struct ifaddrmsg)',
  RTMSG_LEN: 'sizeof(struct rtmsg)',
  NDMSG_LEN: 'sizeof(struct ndmsg)',
  RTNEXTHOP_LEN: 'sizeof(struct rtnexthop)',
  RTGENMSG_LEN: 'sizeof(struct rtgenmsg)',
  IP_VS_FLAGS_LEN: 'sizeof(struct ip_vs_flags)',
  NLA_TYPE_MASK: '(unsigned short)NLA_TYPE_MASK',
};

// Enum tails and other members that must be among the checked constants.
const MUST_CHECK = [
  'NETLINK_ROUTE', 'NETLINK_GENERIC', 'NLM_F_DUMP', 'NLM_F_ACK_TLVS', 'NLMSG_HDRLEN', 'NLA_HDRLEN',
  'NLMSGERR_ATTR_MISS_NEST', 'NETLINK_GET_STRICT_CHK', 'SOL_NETLINK', 'NLA_TYPE_MASK',
  'GENL_ID_CTRL', 'GENL_HDRLEN', 'CTRL_CMD_GETPOLICY', 'CTRL_ATTR_OP', 'CTRL_ATTR_MCAST_GRP_ID',
  'RTM_NEWLINK', 'RTM_GETTUNNEL', 'RTM_GETMULTICAST', 'RTN_XRESOLVE', 'RTPROT_EIGRP',
  'RT_SCOPE_NOWHERE', 'RT_TABLE_MAX', 'RTM_F_OFFLOAD_FAILED', 'RTA_NH_ID', 'RTNH_F_TRAP',
  'RTAX_FASTOPEN_NO_COOKIE', 'RTNLGRP_STATS', 'RTEXT_FILTER_MST', 'IFINFOMSG_LEN', 'IFADDRMSG_LEN',
  'RTMSG_LEN', 'NDMSG_LEN', 'RTNEXTHOP_LEN', 'RTGENMSG_LEN',
  'IFLA_ALLMULTI', 'IFLA_INFO_SLAVE_DATA', 'IFLA_INET6_RA_MTU', 'IN6_ADDR_GEN_MODE_RANDOM',
  'IFLA_BR_MCAST_QUERIER_STATE', 'IFLA_BRPORT_LOCKED', 'IFLA_VLAN_PROTOCOL', 'VLAN_FLAG_BRIDGE_BINDING',
  'IFLA_MACVLAN_BC_QUEUE_LEN_USED', 'MACVLAN_MODE_SOURCE', 'MACVLAN_FLAG_NODST',
  'IFLA_VXLAN_VNIFILTER', 'VXLAN_DF_INHERIT', 'VETH_INFO_PEER', 'IFLA_STATS_AF_SPEC',
  'IF_OPER_UP', 'IF_LINK_MODE_TESTING', 'IFF_UP', 'IFF_ECHO', 'IFNAMSIZ',
  'IFA_PROTO', 'IFA_F_STABLE_PRIVACY', 'NDA_NDM_FLAGS_MASK', 'NTF_ROUTER', 'NTF_EXT_MANAGED',
  'NUD_PERMANENT', 'NFEA_DONT_REFRESH',
  'BR_STATE_BLOCKING', 'BRIDGE_FLAGS_SELF', 'IFLA_BRIDGE_MST', 'BRIDGE_VLAN_INFO_ONLY_OPTS',
  'BRIDGE_VLANDB_GOPTS_MSTI', 'BR_BOOLOPT_MST_ENABLE',
  'IP_VS_SVC_F_SCHED_SH_PORT', 'IP_VS_CONN_F_DEST_MASK', 'IP_VS_CONN_F_TUNNEL_TYPE_GRE',
  'IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM', 'IP_VS_IFNAME_MAXLEN', 'IPVS_GENL_VERSION', 'IPVS_CMD_FLUSH',
  'IPVS_CMD_ATTR_TIMEOUT_UDP', 'IPVS_SVC_ATTR_STATS64', 'IPVS_DEST_ATTR_TUN_FLAGS',
  'IPVS_DAEMON_ATTR_MCAST_TTL', 'IPVS_STATS_ATTR_PAD', 'IPVS_INFO_ATTR_CONN_TAB_SIZE',
  'AF_BRIDGE', 'AF_NETLINK', 'ETH_P_8021AD', 'IPPROTO_ICMPV6', 'IPPROTO_SCTP', 'ARPHRD_VOID',
];

const INCLUDES = [
  'stdio.h', 'stddef.h', 'sys/socket.h', 'linux/netlink.h', 'linux/genetlink.h', 'linux/rtnetlink.h',
  'linux/if_link.h', 'linux/if_addr.h', 'linux/neighbour.h', 'linux/if_bridge.h', 'linux/veth.h',
  'linux/if_vlan.h', 'linux/if.h', 'linux/in.h', 'linux/in6.h', 'linux/if_ether.h', 'linux/if_arp.h',
  'linux/ip_vs.h',
];

function numericExports(): Map<string, number> {
  const out = new Map<string, number>();
  for (const [mod, ns] of Object.entries(MODULES)) {
    for (const [name, value] of Object.entries(ns)) {
      if (typeof value !== 'number') continue;
      if (out.has(name) && out.get(name) !== value) throw new Error(`${name} differs between modules (${mod})`);
      out.set(name, value);
    }
  }
  return out;
}

const haveCc = spawnSync('cc', ['--version']).status === 0;
let dir = '';

function compile(source: string, exe: string) {
  const src = join(dir, `${exe}.c`);
  writeFileSync(src, source);
  return spawnSync('cc', ['-o', join(dir, exe), src], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
}

function program(body: string): string {
  return INCLUDES.map((h) => `#include <${h}>`).join('\n') + `\nint main(void) {\n${body}\nreturn 0;\n}\n`;
}

describe.skipIf(!haveCc)('uapi constants vs /usr/include/linux (6.1)', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'uapi-test-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every numeric export present in the 6.1 headers has the same value', () => {
    const all = numericExports();
    const skip = new Set([...NEWER_THAN_6_1, ...NOT_UAPI]);
    const checked = [...all.keys()].filter((n) => !skip.has(n));
    const body = checked
      .map((n) => `printf("%s %lld\\n", "${n}", (long long)(${C_EXPR[n] ?? n}));`)
      .join('\n');
    const cc = compile(program(body), 'values');
    expect(cc.stderr).toBe('');
    expect(cc.status).toBe(0);
    const run = spawnSync(join(dir, 'values'), { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const fromC = new Map<string, number>();
    for (const line of run.stdout.trim().split('\n')) {
      const [name, value] = line.split(' ');
      fromC.set(name!, Number(value));
    }
    const mismatches = checked
      .filter((n) => fromC.get(n) !== all.get(n))
      .map((n) => `${n}: ts=${all.get(n)} c=${fromC.get(n)}`);
    expect(mismatches).toEqual([]);
    expect(checked.length).toBeGreaterThanOrEqual(60);
    for (const n of MUST_CHECK) expect(checked, n).toContain(n);
    // The names skipped are listed (and checked) in the next test.
    console.log(`uapi: checked ${checked.length} constants; skipped ${NEWER_THAN_6_1.length} newer than 6.1, ${NOT_UAPI.length} not in uapi`);
  });

  it('the skip list is exact: each skipped name is exported and missing from the 6.1 headers', () => {
    const all = numericExports();
    const skipped = [...NEWER_THAN_6_1, ...NOT_UAPI];
    for (const n of skipped) expect(all.has(n), n).toBe(true);
    const body = skipped.map((n) => `printf("%lld\\n", (long long)(${n}));`).join('\n');
    const cc = compile(program(body), 'missing');
    expect(cc.status).not.toBe(0);
    const undeclared = new Set([...cc.stderr.matchAll(/'(\w+)' undeclared/g)].map((m) => m[1]));
    expect([...undeclared].sort()).toEqual([...skipped].sort());
  });

  it('RTNL_LINK_STATS64_FIELDS follows struct rtnl_link_stats64', () => {
    const fields = ifLink.RTNL_LINK_STATS64_FIELDS;
    expect(fields).toContain('rx_nohandler');
    expect(fields.at(-1)).toBe('rx_otherhost_dropped');
    const body = [
      `printf("size %zu\\n", sizeof(struct rtnl_link_stats64));`,
      ...fields.map((f) => `printf("%s %zu\\n", "${f}", offsetof(struct rtnl_link_stats64, ${f}));`),
    ].join('\n');
    const cc = compile(program(body), 'stats64');
    expect(cc.stderr).toBe('');
    const run = spawnSync(join(dir, 'stats64'), { encoding: 'utf8' });
    const offsets = new Map(run.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
    expect(Number(offsets.get('size'))).toBe(fields.length * 8);
    fields.forEach((f, i) => expect(Number(offsets.get(f)), f).toBe(i * 8));
  });

  it('IPVS attribute type maps cover every attribute of their enums', () => {
    const keys = (o: object) => Object.keys(o).map(Number).sort((a, b) => a - b);
    const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    expect(keys(ipVs.IPVS_CMD_ATTR_TYPES)).toEqual(range(ipVs.IPVS_CMD_ATTR_SERVICE, ipVs.IPVS_CMD_ATTR_TIMEOUT_UDP));
    expect(keys(ipVs.IPVS_SVC_ATTR_TYPES)).toEqual(range(ipVs.IPVS_SVC_ATTR_AF, ipVs.IPVS_SVC_ATTR_STATS64));
    expect(keys(ipVs.IPVS_DEST_ATTR_TYPES)).toEqual(range(ipVs.IPVS_DEST_ATTR_ADDR, ipVs.IPVS_DEST_ATTR_TUN_FLAGS));
    expect(keys(ipVs.IPVS_DAEMON_ATTR_TYPES)).toEqual(
      range(ipVs.IPVS_DAEMON_ATTR_STATE, ipVs.IPVS_DAEMON_ATTR_MCAST_TTL),
    );
    expect(keys(ipVs.IPVS_STATS_ATTR_TYPES)).toEqual(range(ipVs.IPVS_STATS_ATTR_CONNS, ipVs.IPVS_STATS_ATTR_OUTBPS));
    expect(keys(ipVs.IPVS_STATS64_ATTR_TYPES)).toEqual(range(ipVs.IPVS_STATS_ATTR_CONNS, ipVs.IPVS_STATS_ATTR_OUTBPS));
    expect(ipVs.IPVS_SVC_ATTR_TYPES[ipVs.IPVS_SVC_ATTR_PORT]).toBe('u16');
    expect(ipVs.IPVS_DEST_ATTR_TYPES[ipVs.IPVS_DEST_ATTR_TUN_TYPE]).toBe('u8');
  });
});
