// IPVS_CMD_GET_INFO: the IPVS version and the connection hash table size.
import type { RequestOptions } from '../../protocol/connection.js';
import { NLM_F_REQUEST, NLM_F_ACK } from '../../uapi/netlink.js';
import { IPVS_CMD_GET_INFO, IPVS_INFO_ATTR_VERSION, IPVS_INFO_ATTR_CONN_TAB_SIZE } from '../../uapi/ip_vs.js';
import { genlAttrs } from '../genl.js';
import type { IpvsFamily } from './family.js';

export interface IpvsInfo {
  /** "1.2.1", as `ipvsadm` prints it. */
  version: string;
  /** The raw version number: major << 16 | minor << 8 | patch. */
  versionCode: number;
  /** Buckets in the connection hash table ("size=4096"). */
  connTableSize: number;
}

export async function getInfo(ipvs: IpvsFamily, options: RequestOptions = {}): Promise<IpvsInfo> {
  const w = await ipvs.begin(IPVS_CMD_GET_INFO, NLM_F_REQUEST | NLM_F_ACK, options);
  w.end('get IPVS info');
  const [info] = await ipvs.conn.request(w, {
    ...options,
    decode: (msg) => {
      const t = genlAttrs(msg);
      const code = t.u32(IPVS_INFO_ATTR_VERSION) ?? 0;
      return {
        version: `${code >> 16}.${(code >> 8) & 0xff}.${code & 0xff}`,
        versionCode: code,
        connTableSize: t.u32(IPVS_INFO_ATTR_CONN_TAB_SIZE) ?? 0,
      };
    },
  });
  if (info === undefined) throw new Error('get IPVS info: the kernel sent no reply');
  return info;
}
