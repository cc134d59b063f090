// rtnl.fdb: the `bridge fdb` model — add, append, replace, delete, list.
import type { Connection, DumpOptions, RequestOptions } from '../protocol/connection.js';
import type { Links } from './links.js';
import { validateDev } from '../families/addr.js';
import { fdbRequest, buildFdbDump, decodeFdb, type FdbEntry, type FdbListFilter, type FdbSpec } from '../families/fdb.js';
import { linkNames, resolveDevs, runOne } from './batch.js';

export class Fdb {
  constructor(
    private readonly conn: Connection,
    private readonly links: Links,
  ) {}

  /** Adds an entry; EEXIST if the MAC (and vlan/src_vni) is there already. */
  async add(spec: FdbSpec, options: RequestOptions = {}): Promise<void> {
    return runOne(this.conn, this.links, fdbRequest('add', spec), options);
  }

  /**
   * Adds another remote to an entry (vxlan): with the all-zero MAC, one call per
   * remote VTEP builds head-end replication. Use rtnl.batch for many at once.
   */
  async append(spec: FdbSpec, options: RequestOptions = {}): Promise<void> {
    return runOne(this.conn, this.links, fdbRequest('append', spec), options);
  }

  async replace(spec: FdbSpec, options: RequestOptions = {}): Promise<void> {
    return runOne(this.conn, this.links, fdbRequest('replace', spec), options);
  }

  /** Deletes an entry; on vxlan, giving dst (and port/vni) deletes only that remote. */
  async delete(spec: FdbSpec, options: RequestOptions = {}): Promise<void> {
    return runOne(this.conn, this.links, fdbRequest('delete', spec), options);
  }

  /** Entries of every device, or of one device / one bridge, filtered in the kernel. */
  async list(filter: FdbListFilter = {}, options: DumpOptions = {}): Promise<FdbEntry[]> {
    const devs = [filter.dev, filter.bridge].filter((d) => d !== undefined).map((d, i) => validateDev(d, i === 0 && filter.dev !== undefined ? 'dev' : 'bridge'));
    const resolve = await resolveDevs(this.links, devs, options);
    const ifindex = filter.dev === undefined ? undefined : resolve(filter.dev, 'dev');
    const bridge = filter.bridge === undefined ? undefined : resolve(filter.bridge, 'bridge');
    const found = await this.conn.dump(buildFdbDump(ifindex, bridge), decodeFdb, options);
    const out = ifindex === undefined ? found : found.filter((e) => e.ifindex === ifindex);
    const names = await linkNames(this.links, options);
    for (const e of out) {
      if (names.has(e.ifindex)) e.dev = names.get(e.ifindex)!;
      // NDA_IFINDEX with a link netns id names a device in another namespace: no name here.
      if (e.viaIfindex !== undefined && e.linkNetnsId === undefined && names.has(e.viaIfindex)) e.via = names.get(e.viaIfindex)!;
      if (e.bridgeIfindex !== undefined && names.has(e.bridgeIfindex)) e.bridge = names.get(e.bridgeIfindex)!;
    }
    return out;
  }
}
