// IPVS counters: the STATS64 / STATS nests of services and destinations.
// (IPVS_CMD_ZERO, which resets them, is built with the other commands in ops.ts.)
import type { AttrTable } from '../../codec/reader.js';
import {
  IPVS_STATS_ATTR_CONNS, IPVS_STATS_ATTR_INPKTS, IPVS_STATS_ATTR_OUTPKTS, IPVS_STATS_ATTR_INBYTES,
  IPVS_STATS_ATTR_OUTBYTES, IPVS_STATS_ATTR_CPS, IPVS_STATS_ATTR_INPPS, IPVS_STATS_ATTR_OUTPPS,
  IPVS_STATS_ATTR_INBPS, IPVS_STATS_ATTR_OUTBPS,
} from '../../uapi/ip_vs.js';
import type { IpvsStats } from './types.js';

const FIELDS: Array<[keyof IpvsStats, number]> = [
  ['connections', IPVS_STATS_ATTR_CONNS],
  ['inPackets', IPVS_STATS_ATTR_INPKTS],
  ['outPackets', IPVS_STATS_ATTR_OUTPKTS],
  ['inBytes', IPVS_STATS_ATTR_INBYTES],
  ['outBytes', IPVS_STATS_ATTR_OUTBYTES],
  ['cps', IPVS_STATS_ATTR_CPS],
  ['inPps', IPVS_STATS_ATTR_INPPS],
  ['outPps', IPVS_STATS_ATTR_OUTPPS],
  ['inBps', IPVS_STATS_ATTR_INBPS],
  ['outBps', IPVS_STATS_ATTR_OUTBPS],
];

export function zeroStats(): IpvsStats {
  return { connections: 0n, inPackets: 0n, outPackets: 0n, inBytes: 0n, outBytes: 0n, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n };
}

/**
 * Counters from STATS64 (every value u64, since Linux 4.1) or else from the
 * older STATS (u32 counters that wrap, u64 byte counts). Sizes are taken from
 * the attribute itself, so either layout reads right.
 */
export function decodeStats(stats64: AttrTable | undefined, stats32: AttrTable | undefined): IpvsStats {
  const out = zeroStats();
  const t = stats64 ?? stats32;
  if (t === undefined) return out;
  for (const [name, type] of FIELDS) {
    const raw = t.bytes(type);
    if (raw === undefined) continue;
    out[name] = raw.length >= 8 ? raw.readBigUInt64LE(0) : raw.length >= 4 ? BigInt(raw.readUInt32LE(0)) : 0n;
  }
  return out;
}

