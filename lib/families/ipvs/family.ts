// The IPVS generic netlink family on one connection: resolved lazily on first
// use, cached for the connection's life, with a plain error when the kernel
// has no IPVS. Every IPVS module builds its messages through `begin()`.
import { MessageWriter } from '../../codec/writer.js';
import type { Connection, RequestOptions } from '../../protocol/connection.js';
import { FamilyNotFoundError } from '../../protocol/errors.js';
import { beginGenl, resolveFamily } from '../genl.js';
import { IPVS_GENL_NAME, IPVS_GENL_VERSION } from '../../uapi/ip_vs.js';

export class IpvsFamily {
  private id?: number;
  private resolving?: Promise<number>;

  constructor(readonly conn: Connection) {}

  /** The family id; the first call asks the kernel (CTRL_CMD_GETFAMILY), later calls are free. */
  familyId(options: RequestOptions = {}): Promise<number> | number {
    if (this.id !== undefined) return this.id;
    this.resolving ??= resolveFamily(this.conn, IPVS_GENL_NAME, options).then(
      (family) => {
        if (family === undefined) {
          throw new FamilyNotFoundError(
            IPVS_GENL_NAME,
            'IPVS is not available in this kernel: the generic netlink family "IPVS" is not registered. ' +
              'Load the ip_vs module (modprobe ip_vs) or use a kernel built with CONFIG_IP_VS.',
          );
        }
        this.id = family.id;
        return family.id;
      },
      (err: unknown) => {
        this.resolving = undefined;
        throw err;
      },
    );
    return this.resolving.catch((err: unknown) => {
      this.resolving = undefined;
      throw err;
    });
  }

  /** A writer holding the start of one IPVS command; callers add attributes and end() it. */
  async begin(cmd: number, flags: number, options: RequestOptions = {}, writer = new MessageWriter(256)): Promise<MessageWriter> {
    const id = await this.familyId(options);
    return beginGenl(writer, id, cmd, IPVS_GENL_VERSION, flags);
  }
}
