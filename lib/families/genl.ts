// Generic netlink: resolving a family by name (CTRL_CMD_GETFAMILY) and the
// genlmsghdr every generic message starts with.
import { MessageWriter } from '../codec/writer.js';
import { AttrTable } from '../codec/reader.js';
import type { Connection, RequestOptions } from '../protocol/connection.js';
import { NetlinkError } from '../protocol/errors.js';
import type { Message } from '../protocol/message.js';
import {
  GENL_ID_CTRL, GENL_HDRLEN, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_VERSION,
  CTRL_ATTR_MAXATTR, CTRL_ATTR_HDRSIZE, CTRL_ATTR_MCAST_GROUPS, CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID,
} from '../uapi/genetlink.js';
import { NLM_F_REQUEST, NLM_F_ACK } from '../uapi/netlink.js';

export interface GenlFamily {
  id: number;
  name: string;
  version: number;
  headerSize: number;
  maxAttr: number;
  /** Multicast group name → group id. */
  groups: Map<string, number>;
}

/** Starts a generic netlink message: nlmsghdr with the family id, then genlmsghdr. */
export function beginGenl(w: MessageWriter, familyId: number, cmd: number, version: number, flags: number): MessageWriter {
  return w.begin(familyId, flags).u8(cmd).u8(version).u16(0);
}

/** The attributes after a generic message's genlmsghdr. */
export function genlAttrs(msg: Message, headerSize = 0): AttrTable {
  return new AttrTable(msg.buf, msg.offset + GENL_HDRLEN + headerSize, msg.end);
}

function decodeFamily(msg: Message): GenlFamily {
  const t = genlAttrs(msg);
  const groups = new Map<string, number>();
  const list = t.nested(CTRL_ATTR_MCAST_GROUPS);
  if (list) {
    for (const entry of list.each()) {
      const g = new AttrTable(entry.data, 0, entry.data.length);
      const name = g.str(CTRL_ATTR_MCAST_GRP_NAME);
      const id = g.u32(CTRL_ATTR_MCAST_GRP_ID);
      if (name !== undefined && id !== undefined) groups.set(name, id);
    }
  }
  return {
    id: t.u16(CTRL_ATTR_FAMILY_ID) ?? 0,
    name: t.str(CTRL_ATTR_FAMILY_NAME) ?? '',
    version: t.u32(CTRL_ATTR_VERSION) ?? 0,
    headerSize: t.u32(CTRL_ATTR_HDRSIZE) ?? 0,
    maxAttr: t.u32(CTRL_ATTR_MAXATTR) ?? 0,
    groups,
  };
}

/** Looks a family up by name; undefined when this kernel does not have it. */
export async function resolveFamily(conn: Connection, name: string, options: RequestOptions = {}): Promise<GenlFamily | undefined> {
  const w = new MessageWriter(64);
  beginGenl(w, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_REQUEST | NLM_F_ACK);
  w.attrString(CTRL_ATTR_FAMILY_NAME, name, 'family');
  w.end(`resolve generic netlink family ${name}`);
  try {
    const [family] = await conn.request(w, { ...options, decode: decodeFamily });
    return family;
  } catch (err) {
    if (err instanceof NetlinkError && err.code === 'ENOENT') return undefined;
    throw err;
  }
}
