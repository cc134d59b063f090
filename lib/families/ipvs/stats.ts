// IPVS counters: the STATS64 / STATS nests of services and destinations.
// (IPVS_CMD_ZERO, which resets them, is built with the other commands in ops.ts.)
import { attrTypeAt, counterAt, nextAttr, payloadLength } from '../../codec/reader.js';
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
 * Counters from the STATS64 (every value u64, since Linux 4.1) or the older
 * STATS nest (u32 counters that wrap, u64 byte counts) whose attribute header
 * is at `pos` in `buf`; all zero when `pos` is -1 (no nest). Widths are taken
 * from each attribute, so either layout reads right. Callers pick STATS64
 * when the kernel sent it.
 */
export function decodeStatsAt(buf: Buffer, pos: number): IpvsStats {
  let at = pos < 0 ? -1 : pos + 4;
  const end = pos < 0 ? -1 : at + payloadLength(buf, pos);
  // Walked in place (a table per nest would be three more objects per service
  // or destination), into locals, and the object built once at the end: a
  // store by computed field name per counter cost a snapshot 10% of its JS.
  let connections = 0n, inPackets = 0n, outPackets = 0n, inBytes = 0n, outBytes = 0n;
  let cps = 0n, inPps = 0n, outPps = 0n, inBps = 0n, outBps = 0n;
  for (let next = 0; at >= 0 && at + 4 <= end; at = next) {
    next = nextAttr(buf, at, end);
    const value = counterAt(buf, at + 4, payloadLength(buf, at));
    switch (attrTypeAt(buf, at)) {
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
  }
  return { connections, inPackets, outPackets, inBytes, outBytes, cps, inPps, outPps, inBps, outBps };
}
