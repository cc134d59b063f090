// rtnl.links: list, get, create, delete and set links of every kind.
// Requests are built by lib/families/link; this layer resolves the names of
// other links to ifindexes and namespace names to open files first, so a
// request names what the kernel needs and nothing is sent on bad input.
import { openSync, closeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { Connection, type DumpOptions, type RequestOptions, type Describe } from '../protocol/connection.js';
import { NetlinkError } from '../protocol/errors.js';
import { MessageWriter } from '../codec/writer.js';
import { NETLINK_ROUTE } from '../uapi/netlink.js';
import {
  buildLinkDump, buildLinkGet, decodeLink, type Link, type LinkListFilter, type LinkRef,
} from '../families/link/link.js';
import { writeLinkCreate, writeLinkSet, writeLinkDelete, type LinkSpec, type LinkChanges } from '../families/link/requests.js';
import { LinkRefCollector, ResolvedLinkRefs } from '../families/link/refs.js';
import type { LinkRefs, BridgePortOptions } from '../families/link/kinds/index.js';

const { ENODEV, EEXIST } = osConstants.errno;

/** Names of other links resolved, namespace files opened; close() releases the files once the request is answered. */
export interface ResolvedRefs {
  refs: LinkRefs;
  close(): void;
}

export class Links {
  constructor(private readonly conn: Connection) {}

  /** Every link, or those matching the filter (kind and master are filtered in the kernel). */
  list(filter: LinkListFilter = {}, options: DumpOptions = {}): Promise<Link[]> {
    return this.conn.dump(buildLinkDump(filter), decodeLink, options);
  }

  /** One link by name or ifindex; rejects with ENODEV when there is none. */
  async get(nameOrIndex: LinkRef, options: RequestOptions = {}): Promise<Link> {
    const [link] = await this.conn.request(buildLinkGet(nameOrIndex), {
      ...options,
      decode: decodeLink,
      describe: (errno) => (errno === -ENODEV ? `no link named ${JSON.stringify(nameOrIndex)}` : undefined),
    });
    if (link === undefined) throw new NetlinkError({ errno: ENODEV, operation: `get link ${nameOrIndex}` });
    return link;
  }

  /** Like get(), but undefined instead of ENODEV. */
  async find(nameOrIndex: LinkRef, options: RequestOptions = {}): Promise<Link | undefined> {
    try {
      return await this.get(nameOrIndex, options);
    } catch (err) {
      if (err instanceof NetlinkError && err.code === 'ENODEV') return undefined;
      throw err;
    }
  }

  /**
   * Creates a link (`ip link add`) and resolves with it as the kernel reports
   * it. Names in `master`, `link` and `dev` are looked up in this socket's
   * namespace; `netns` (and a veth's `peer.netns`) place links elsewhere.
   */
  async create(spec: LinkSpec, options: RequestOptions = {}): Promise<Link> {
    await this.run((w, refs) => writeLinkCreate(w, spec, refs), describeLink(spec.name), options);
    if (spec.netns === undefined) return this.get(spec.name, options);
    const there = new Connection(NETLINK_ROUTE, { netns: spec.netns });
    try {
      return await new Links(there).get(spec.name, options);
    } finally {
      there.close();
    }
  }

  /** Deletes a link (`ip link del`); deleting one end of a veth deletes both. */
  async delete(nameOrIndex: LinkRef, options: RequestOptions = {}): Promise<void> {
    await this.run((w) => writeLinkDelete(w, nameOrIndex), describeLink(nameOrIndex), options);
  }

  /**
   * Changes a link (`ip link set`): up/down, name, MTU, MAC, queue length,
   * alias, master (null: nomaster), namespace; with `kind`, that kind's
   * settings; with `bridgePort`, its settings as a bridge port.
   */
  async set(nameOrIndex: LinkRef, changes: LinkChanges, options: RequestOptions = {}): Promise<void> {
    await this.run((w, refs) => writeLinkSet(w, nameOrIndex, changes, refs), describeLink(nameOrIndex), options);
  }

  /** Sets a bridge port's options (`ip link set PORT type bridge_slave ...`, `bridge link set`). */
  setBridgePort(port: LinkRef, settings: BridgePortOptions, options: RequestOptions = {}): Promise<void> {
    return this.set(port, { bridgePort: settings }, options);
  }

  /**
   * Builds with a recording LinkRefs (validating all input), resolves what it
   * recorded, builds again for real and sends the messages as one batch.
   */
  private async run(build: (w: MessageWriter, refs: LinkRefs) => unknown, describe: Describe, options: RequestOptions): Promise<void> {
    const collector = new LinkRefCollector();
    build(new MessageWriter(512), collector);
    const resolved = await this.resolve(collector, options);
    try {
      const w = new MessageWriter(512);
      build(w, resolved.refs);
      const results = await this.conn.batch(w, { ...options, describe, stopOnError: true });
      for (const r of results) if (!r.ok) throw r.error;
    } finally {
      resolved.close();
    }
  }

  /**
   * Looks up every link and opens every namespace file a LinkRefCollector
   * recorded: the step between building with the collector and building for
   * real, for callers that batch link requests themselves (writeLinkCreate...).
   */
  async resolve(collector: LinkRefCollector, options: RequestOptions = {}): Promise<ResolvedRefs> {
    const indexes = new Map<string, number>();
    await Promise.all(
      [...collector.names].map(async ([name, field]) => {
        const link = await this.find(name, options);
        if (link === undefined) {
          throw new NetlinkError({ errno: ENODEV, operation: `resolve ${field}`, reason: `no link named ${JSON.stringify(name)}`, field });
        }
        indexes.set(name, link.index);
      }),
    );
    const fds = new Map<string, number>();
    const close = (): void => {
      for (const fd of fds.values()) closeSync(fd);
      fds.clear();
    };
    try {
      for (const path of collector.namespaces.keys()) fds.set(path, openSync(path, 'r'));
    } catch (err) {
      close();
      throw err;
    }
    return { refs: new ResolvedLinkRefs(indexes, fds), close };
  }
}

function describeLink(ref: LinkRef): Describe {
  return (errno) => {
    if (errno === -EEXIST) return `link ${JSON.stringify(ref)} already exists`;
    if (errno === -ENODEV) return `no link named ${JSON.stringify(ref)}`;
    return undefined;
  };
}
