// rtnl.addresses: add, replace, delete, list and flush interface addresses.
import type { Connection, DumpOptions, RequestOptions } from '../protocol/connection.js';
import type { Links } from './links.js';
import { NetlinkError } from '../protocol/errors.js';
import {
  addressRequest, buildAddressDump, decodeAddress, validateDev, validateFamily,
  type Address, type AddressListFilter, type AddressSpec, type DevRef,
} from '../families/addr.js';
import type { IpFamily } from '../codec/address.js';
import { linkNames, resolveDevs, runOne, sendRequests } from './batch.js';

export class Addresses {
  constructor(
    private readonly conn: Connection,
    private readonly links: Links,
  ) {}

  /** Adds an address; EEXIST if it is there already. */
  async add(spec: AddressSpec, options: RequestOptions = {}): Promise<void> {
    return runOne(this.conn, this.links, addressRequest('add', spec), options);
  }

  /** Adds the address, or updates the one that is there (flags, lifetimes, broadcast, ...). */
  async replace(spec: AddressSpec, options: RequestOptions = {}): Promise<void> {
    return runOne(this.conn, this.links, addressRequest('replace', spec), options);
  }

  /** Deletes an address. IPv6 matches address and prefix; IPv4 matches the prefix only when one is given. */
  async delete(spec: AddressSpec, options: RequestOptions = {}): Promise<void> {
    return runOne(this.conn, this.links, addressRequest('delete', spec), options);
  }

  /** Addresses, filtered in the kernel by family and interface. */
  async list(filter: AddressListFilter = {}, options: DumpOptions = {}): Promise<Address[]> {
    const family = filter.family === undefined ? undefined : validateFamily(filter.family);
    let ifindex: number | undefined;
    if (filter.dev !== undefined) ifindex = (await resolveDevs(this.links, [validateDev(filter.dev)], options))(filter.dev, 'dev');
    const found = await this.conn.dump(buildAddressDump(family, ifindex), decodeAddress, options);
    // A kernel without strict checking ignores the ifindex filter: check again here.
    const out = found.filter((a) => (ifindex === undefined || a.ifindex === ifindex) && (family === undefined || a.family === family));
    const names = await linkNames(this.links, options);
    for (const a of out) {
      const name = names.get(a.ifindex);
      if (name !== undefined) a.dev = name;
    }
    return out;
  }

  /**
   * Deletes every address of an interface (of one family, if given) in one
   * batch. Returns how many were deleted. Secondary IPv4 addresses that go
   * with their primary are not an error.
   */
  async flush(filter: { dev: DevRef; family?: IpFamily }, options: RequestOptions = {}): Promise<number> {
    const addrs = await this.list(filter, options);
    const requests = addrs.map((a) => addressRequest('delete', { dev: a.ifindex, address: a.address, prefix: a.prefix, peer: a.peer }));
    const results = await sendRequests(this.conn, requests, (d) => d as number, options);
    let deleted = 0;
    for (const r of results) {
      if (r.ok) deleted++;
      else if (!(r.error instanceof NetlinkError && r.error.code === 'EADDRNOTAVAIL')) throw r.error;
    }
    return deleted;
  }
}
