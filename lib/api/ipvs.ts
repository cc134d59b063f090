// Ipvs: one generic netlink socket talking to the kernel's IP Virtual Server,
// optionally inside a network namespace (IPVS state is per namespace). The
// family is resolved on first use and cached; every operation reuses the socket.
import { Connection, type ConnectionOptions, type RequestOptions } from '../protocol/connection.js';
import { NETLINK_GENERIC } from '../uapi/netlink.js';
import { IpvsFamily } from '../families/ipvs/family.js';
import { getInfo, type IpvsInfo } from '../families/ipvs/info.js';
import { getTimeouts, setTimeouts, type IpvsTimeouts } from '../families/ipvs/config.js';

export type IpvsOptions = ConnectionOptions;

export class Ipvs {
  readonly conn: Connection;
  /** The resolved family and message builder shared by every IPVS module. */
  readonly family: IpvsFamily;

  constructor(options: IpvsOptions = {}) {
    this.conn = new Connection(NETLINK_GENERIC, options);
    this.family = new IpvsFamily(this.conn);
  }

  static open(options: IpvsOptions = {}): Ipvs {
    return new Ipvs(options);
  }

  /** IPVS version and connection table size (the `ipvsadm -L` banner). */
  info(options: RequestOptions = {}): Promise<IpvsInfo> {
    return getInfo(this.family, options);
  }

  /** The tcp, tcpfin and udp timeouts (`ipvsadm -L --timeout`). */
  timeouts(options: RequestOptions = {}): Promise<IpvsTimeouts> {
    return getTimeouts(this.family, options);
  }

  /** Sets some or all timeouts (`ipvsadm --set`); fields left out stay as they are. */
  setTimeouts(timeouts: Partial<IpvsTimeouts>, options: RequestOptions = {}): Promise<void> {
    return setTimeouts(this.family, timeouts, options);
  }

  close(): void {
    this.conn.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
