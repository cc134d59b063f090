// nl-lvs: netlink-native Linux networking for Node.js.
export { Rtnl, type RtnlOptions } from './api/rtnl.js';
export { Links } from './api/links.js';
export { Ipvs, type IpvsOptions } from './api/ipvs.js';
export type { Link, LinkStats64, LinkListFilter, OperState } from './families/link/link.js';
export type { IpvsInfo } from './families/ipvs/info.js';
export type { IpvsTimeouts } from './families/ipvs/config.js';
export type { RequestOptions, BatchOptions, DumpOptions, BatchResult, ConnectionOptions } from './protocol/connection.js';
export {
  NetlinkError,
  ValidationError,
  DecodeError,
  DumpInterruptedError,
  TimeoutError,
  FamilyNotFoundError,
  SocketClosedError,
} from './protocol/errors.js';
