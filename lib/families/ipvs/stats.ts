// IPVS counters: the STATS64 / STATS nests of services and destinations.
// (IPVS_CMD_ZERO, which resets them, is built with the other commands in ops.ts.)
import { counterAt, type AttrTable } from '../../codec/reader.js';
import { DecodeError } from '../../protocol/errors.js';
import { NLA_TYPE_MASK } from '../../uapi/netlink.js';
import {
  IPVS_STATS_ATTR_CONNS, IPVS_STATS_ATTR_INPKTS, IPVS_STATS_ATTR_OUTPKTS, IPVS_STATS_ATTR_INBYTES,
  IPVS_STATS_ATTR_OUTBYTES, IPVS_STATS_ATTR_CPS, IPVS_STATS_ATTR_INPPS, IPVS_STATS_ATTR_OUTPPS,
  IPVS_STATS_ATTR_INBPS, IPVS_STATS_ATTR_OUTBPS,
} from '../../uapi/ip_vs.js';
import type { IpvsStats } from './types.js';

export function zeroStats(): IpvsStats {
  return { connections: 0n, inPackets: 0n, outPackets: 0n, inBytes: 0n, outBytes: 0n, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n };
}

/**
 * Counters from STATS64 (every value u64, since Linux 4.1) or else from the
 * older STATS (u32 counters that wrap, u64 byte counts), nested in `t` under
 * the given types. Widths are taken from each attribute, so either layout reads right.
 */
export function decodeStats(t: AttrTable, stats64Type: number, stats32Type: number): IpvsStats {
  let at = t.offsetOf(stats64Type);
  let end = at + t.lengthOf(stats64Type);
  if (at < 0) {
    at = t.offsetOf(stats32Type);
    end = at + t.lengthOf(stats32Type);
  }
  // Walked in place (a table per nest would be three more objects per service
  // or destination), into locals, and the object built once at the end: a
  // store by computed field name per counter cost a snapshot 10% of its JS.
  let connections = 0n, inPackets = 0n, outPackets = 0n, inBytes = 0n, outBytes = 0n;
  let cps = 0n, inPps = 0n, outPps = 0n, inBps = 0n, outBps = 0n;
  const buf = t.buf;
  while (at >= 0 && at + 4 <= end) {
    const len = buf.readUInt16LE(at);
    if (len < 4 || at + len > end) throw new DecodeError(`stats attribute at byte ${at} has length ${len}, beyond its nest`);
    const value = counterAt(buf, at + 4, len - 4);
    switch (buf.readUInt16LE(at + 2) & NLA_TYPE_MASK) {
      case IPVS_STATS_ATTR_CONNS: connections = value; break;
      case IPVS_STATS_ATTR_INPKTS: inPackets = value; break;
      case IPVS_STATS_ATTR_OUTPKTS: outPackets = value; break;
      case IPVS_STATS_ATTR_INBYTES: inBytes = value; break;
      case IPVS_STATS_ATTR_OUTBYTES: outBytes = value; break;
      case IPVS_STATS_ATTR_CPS: cps = value; break;
      case IPVS_STATS_ATTR_INPPS: inPps = value; break;
      case IPVS_STATS_ATTR_OUTPPS: outPps = value; break;
      case IPVS_STATS_ATTR_INBPS: inBps = value; break;
      case IPVS_STATS_ATTR_OUTBPS: outBps = value; break;
      default: break; // a counter newer than this library
    }
    at += (len + 3) & ~3;
  }
  return { connections, inPackets, outPackets, inBytes, outBytes, cps, inPps, outPps, inBps, outBps };
}
