// IPVS_CMD_GET_CONFIG / SET_CONFIG: the tcp, tcpfin and udp timeouts, in seconds.
import type { RequestOptions } from '../../protocol/connection.js';
import { ValidationError, showValue } from '../../protocol/errors.js';
import { NLM_F_REQUEST, NLM_F_ACK } from '../../uapi/netlink.js';
import {
  IPVS_CMD_GET_CONFIG, IPVS_CMD_SET_CONFIG, IPVS_CMD_ATTR_TIMEOUT_TCP, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN,
  IPVS_CMD_ATTR_TIMEOUT_UDP,
} from '../../uapi/ip_vs.js';
import { genlAttrs } from '../genl.js';
import type { IpvsFamily } from './family.js';

export interface IpvsTimeouts {
  /** Established TCP sessions, seconds (ipvsadm --set first value). */
  tcp: number;
  /** TCP after a FIN, seconds. */
  tcpFin: number;
  /** UDP, seconds. */
  udp: number;
}

export async function getTimeouts(ipvs: IpvsFamily, options: RequestOptions = {}): Promise<IpvsTimeouts> {
  const w = await ipvs.begin(IPVS_CMD_GET_CONFIG, NLM_F_REQUEST | NLM_F_ACK, options);
  w.end('get IPVS timeouts');
  const [timeouts] = await ipvs.conn.request(w, {
    ...options,
    decode: (msg) => {
      const t = genlAttrs(msg);
      return {
        tcp: t.u32(IPVS_CMD_ATTR_TIMEOUT_TCP) ?? 0,
        tcpFin: t.u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN) ?? 0,
        udp: t.u32(IPVS_CMD_ATTR_TIMEOUT_UDP) ?? 0,
      };
    },
  });
  if (timeouts === undefined) throw new Error('get IPVS timeouts: the kernel sent no reply');
  return timeouts;
}

/** Sets the timeouts given; 0 or an omitted field leaves that timeout unchanged, as in the kernel. */
export async function setTimeouts(ipvs: IpvsFamily, timeouts: Partial<IpvsTimeouts>, options: RequestOptions = {}): Promise<void> {
  const fields: Array<[keyof IpvsTimeouts, number]> = [
    ['tcp', IPVS_CMD_ATTR_TIMEOUT_TCP],
    ['tcpFin', IPVS_CMD_ATTR_TIMEOUT_TCP_FIN],
    ['udp', IPVS_CMD_ATTR_TIMEOUT_UDP],
  ];
  if (timeouts === null || typeof timeouts !== 'object') throw new ValidationError('timeouts', `an object { tcp?, tcpFin?, udp? }, got ${showValue(timeouts)}`);
  for (const [name] of fields) {
    const v = timeouts[name];
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0x7fffffff / 1000)) {
      throw new ValidationError(`timeouts.${name}`, `seconds as a whole number from 0 to ${Math.floor(0x7fffffff / 1000)}, got ${showValue(v)}`);
    }
  }
  const w = await ipvs.begin(IPVS_CMD_SET_CONFIG, NLM_F_REQUEST | NLM_F_ACK, options);
  for (const [name, attr] of fields) {
    const v = timeouts[name];
    if (v !== undefined) w.attrU32(attr, v, `timeouts.${name}`);
  }
  w.end('set IPVS timeouts');
  await ipvs.conn.request(w, options);
}
