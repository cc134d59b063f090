// rtnl.batch(): many link, address, route, neighbour and fdb operations,
// written a chunk at a time into one MessageWriter and sent in as few sendmsg
// calls as fit, one result per operation.
// Single calls (rtnl.fdb.append(...)) go through the same path with one request,
// so a batch sends exactly the bytes the single calls would.
//
// Order of work, so that a bad operation leaves the kernel untouched:
// validate every operation → resolve every device name, and check that each
// resolved → write and send, a chunk of operations at a time.
import { openSync, closeSync } from 'node:fs';
import type { Connection, BatchOptions, BatchResult, Describe, RequestOptions } from '../protocol/connection.js';
import { MessageWriter, type WrittenMessage } from '../codec/writer.js';
import { NetlinkError, ValidationError, showValue } from '../protocol/errors.js';
import type { Links } from './links.js';
import { addressRequest, type AddressSpec, type DevRef, type ResolveIfindex, type RtnlRequest } from '../families/addr.js';
import { routeRequest, type RouteSpec } from '../families/route.js';
import { neighbourRequest, type NeighbourSpec } from '../families/neigh.js';
import { fdbRequest, describeFdbMessage, type FdbAction, type FdbSpec } from '../families/fdb.js';
import { FdbColumns, FdbChunk } from '../families/fdb-columns.js';
import { writeLinkCreate, writeLinkSet, writeLinkDelete, type LinkSpec, type LinkChanges } from '../families/link/requests.js';
import { LinkRefCollector, namespacePath } from '../families/link/refs.js';
import { validateLinkRef, type LinkRef } from '../families/link/common.js';
import type { LinkRefs } from '../families/link/kinds/index.js';

/**
 * One operation of a batch: the op name plus the same spec the single call takes
 * (link ops: `link.create` takes rtnl.links.create's spec; set and delete name the link).
 * Device names are looked up before anything is sent, so an op cannot name a
 * link that an earlier op of the same batch creates (link.set/delete can: the
 * kernel finds those by name).
 */
export type RtnlOperation =
  | ({ op: 'link.create' } & LinkSpec)
  | { op: 'link.set'; link: LinkRef; changes: LinkChanges }
  | { op: 'link.delete'; link: LinkRef }
  | ({ op: 'address.add' | 'address.replace' | 'address.delete' } & AddressSpec)
  | ({ op: 'route.add' | 'route.replace' | 'route.append' | 'route.delete' } & RouteSpec)
  | ({ op: 'neighbour.add' | 'neighbour.replace' | 'neighbour.delete' } & NeighbourSpec)
  | ({ op: 'fdb.add' | 'fdb.append' | 'fdb.replace' | 'fdb.delete' } & FdbSpec);

type OpName = RtnlOperation['op'];
/** A request that may also need namespace files opened (link ops moving links). */
type BatchRequest = RtnlRequest & { namespaces?: string[] };
type Builder = (op: RtnlOperation, fds: ReadonlyMap<string, number>) => BatchRequest;

function describeLink(ref: LinkRef): Describe {
  return (errno) => {
    if (errno === -17) return `link ${showValue(ref)} already exists`;
    if (errno === -19) return `no link named ${showValue(ref)}`;
    return undefined;
  };
}

/**
 * Link ops through lib/families/link's two-pass builders: a first build with a
 * recording LinkRefs validates and lists the names and namespaces to resolve;
 * write() builds again with the batch's resolved names and opened files.
 */
function linkRequest(build: (w: MessageWriter, refs: LinkRefs) => WrittenMessage[], ref: LinkRef, fds: ReadonlyMap<string, number>): BatchRequest {
  const collector = new LinkRefCollector();
  build(new MessageWriter(512), collector);
  return {
    devs: [...collector.names.keys()],
    namespaces: [...collector.namespaces.keys()],
    write(w, ifindex) {
      build(w, {
        index: (r, field) => ifindex(validateLinkRef(r, field), field),
        netnsFd: (netns, field) => {
          const fd = fds.get(namespacePath(netns, field));
          if (fd === undefined) throw new ValidationError(field, `namespace ${showValue(netns)} was not opened`);
          return fd;
        },
      });
      return describeLink(ref);
    },
  };
}

/** Op name → request builder; a new kind of operation plugs in here. */
const BUILDERS: Record<OpName, Builder> = {
  'link.create': (o, fds) => linkRequest((w, refs) => writeLinkCreate(w, o as LinkSpec, refs), (o as LinkSpec).name, fds),
  'link.set': (o, fds) => {
    const { link, changes } = o as { link: LinkRef; changes: LinkChanges };
    return linkRequest((w, refs) => writeLinkSet(w, link, changes, refs), link, fds);
  },
  'link.delete': (o, fds) => {
    const { link } = o as { link: LinkRef };
    return linkRequest((w) => writeLinkDelete(w, link), link, fds);
  },
  'address.add': (o) => addressRequest('add', o as AddressSpec),
  'address.replace': (o) => addressRequest('replace', o as AddressSpec),
  'address.delete': (o) => addressRequest('delete', o as AddressSpec),
  'route.add': (o) => routeRequest('add', o as RouteSpec),
  'route.replace': (o) => routeRequest('replace', o as RouteSpec),
  'route.append': (o) => routeRequest('append', o as RouteSpec),
  'route.delete': (o) => routeRequest('delete', o as RouteSpec),
  'neighbour.add': (o) => neighbourRequest('add', o as NeighbourSpec),
  'neighbour.replace': (o) => neighbourRequest('replace', o as NeighbourSpec),
  'neighbour.delete': (o) => neighbourRequest('delete', o as NeighbourSpec),
  'fdb.add': (o) => fdbRequest('add', o as FdbSpec),
  'fdb.append': (o) => fdbRequest('append', o as FdbSpec),
  'fdb.replace': (o) => fdbRequest('replace', o as FdbSpec),
  'fdb.delete': (o) => fdbRequest('delete', o as FdbSpec),
};

/**
 * An error from operation `i`, re-labelled to name it: 'ops[3].dst'. Callers
 * use try/catch around their loop body rather than a closure per operation.
 */
function opError(i: number, err: unknown): unknown {
  if (err instanceof ValidationError) {
    const detail = err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
    return new ValidationError(`ops[${i}].${err.field}`, detail);
  }
  if (err instanceof MissingLink) return noSuchLink(err.link, `ops[${i}].${err.field}`);
  return err;
}

/** Thrown while writing when a device name did not resolve; turned into ENODEV naming the field. */
class MissingLink extends Error {
  constructor(
    readonly link: string,
    readonly field: string,
  ) {
    super(`no link named ${showValue(link)}`);
  }
}

function noSuchLink(link: string, field: string): NetlinkError {
  return new NetlinkError({ errno: 19, operation: `resolve link ${showValue(link)}`, reason: `no link named ${showValue(link)}`, field });
}

// Up to this many distinct names are looked up one by one; more take one dump of all links.
const GET_LIMIT = 2;

/**
 * Looks up every device name once. Names that do not exist are not an error
 * here: the request that needs one fails with ENODEV when it is written, which
 * is still before anything is sent.
 */
export async function resolveDevs(links: Links, devs: Iterable<DevRef>, options: RequestOptions = {}): Promise<ResolveIfindex> {
  const names = new Set<string>();
  for (const d of devs) if (typeof d === 'string') names.add(d);
  const found = new Map<string, number>();
  if (names.size > GET_LIMIT) {
    for (const l of await links.list({ skipStats: true }, options)) if (names.has(l.name)) found.set(l.name, l.index);
  } else {
    await Promise.all(
      [...names].map(async (n) => {
        const l = await links.find(n, options);
        if (l) found.set(n, l.index);
      }),
    );
  }
  return (dev, field) => {
    if (typeof dev === 'number') return dev;
    const index = found.get(dev);
    if (index === undefined) throw new MissingLink(dev, field);
    return index;
  };
}

/** ifindex → name for decoded objects, from one dump of the links. */
export async function linkNames(links: Links, options: RequestOptions = {}): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const l of await links.list({ skipStats: true }, options)) names.set(l.index, l.name);
  return names;
}

/** Runs one request: resolve its devices, write it, send it, throw the kernel's error if any. */
export async function runOne(conn: Connection, links: Links, request: RtnlRequest, options: RequestOptions = {}): Promise<void> {
  const ifindex = await resolveDevs(links, request.devs, options);
  const w = new MessageWriter(256);
  let describe: Describe;
  try {
    describe = request.write(w, ifindex);
  } catch (err) {
    throw err instanceof MissingLink ? noSuchLink(err.link, err.field) : err;
  }
  await conn.request(w, { ...options, describe });
}

/** One result for an operation that wrote several messages: the first failure, else ok. */
function fold(parts: BatchResult<never>[]): BatchResult<never> {
  return parts.find((r) => !r.ok) ?? { ok: true, replies: [] };
}

/**
 * Requests written and sent per Connection.batch without stopOnError: about
 * the ack window, so a chunk goes out in one go. The writer, its message
 * records and the connection's pending entries then live for one chunk, not
 * for the whole batch: kept for 50k FDB entries, they were most of what each
 * scavenge copied (37 MB allocated per 50k deletes, 744 bytes an entry).
 */
const CHUNK = 2048;

/**
 * Writes and sends already-validated requests; one result per request (a
 * request may write several messages). Without stopOnError the requests go
 * in chunks of CHUNK, one writer reused and one conn.batch each: the kernel
 * runs every message whatever fails among them, so nothing is lost by
 * writing a chunk only when the one before is answered. With stopOnError,
 * each request waits for the previous one's acks: the kernel executes every
 * message of a datagram even after one fails, so stopping is only possible
 * between round trips. A request that cannot be written (a device name that
 * did not resolve) is thrown before anything is sent: runBatch checks names
 * up front (checkDevs), and the first chunk is written before it is sent.
 */
export async function sendRequests(
  conn: Connection,
  requests: RtnlRequest[],
  ifindex: ResolveIfindex,
  options: BatchOptions = {},
): Promise<BatchResult<never>[]> {
  if (!options.stopOnError) {
    // Filled in order by push, not new Array(n): see sendEncoded in families/ipvs/ops.ts.
    const results: BatchResult<never>[] = [];
    const w = new MessageWriter(Math.max(4096, Math.min(requests.length, CHUNK) * 96));
    // describes[m] explains errors of the chunk's message m (the connection passes its index); ends[k]: request from+k's last message + 1.
    // Both are reused by every chunk, which only reads its own entries: regrown per chunk they were ~64 bytes an op.
    const describes: Describe[] = [];
    const ends: number[] = [];
    const describe: Describe = (errno, what, index) => describes[index]?.(errno, what, index);
    for (let from = 0; from < requests.length; from += CHUNK) {
      const to = Math.min(requests.length, from + CHUNK);
      w.reset();
      let onePerRequest = true;
      for (let i = from; i < to; i++) {
        const first = w.count;
        let describeOne: Describe;
        try {
          describeOne = requests[i]!.write(w, ifindex);
        } catch (err) {
          throw opError(i, err);
        }
        const end = w.count;
        for (let m = first; m < end; m++) describes[m] = describeOne;
        if (end !== first + 1) onePerRequest = false;
        ends[i - from] = end;
      }
      // One ack per sendmsg: rtnetlink answers a failing request with its error all the same.
      const chunk = await conn.batch<never>(w, { ...options, describe, ackPerSend: true });
      // The usual case, one message per request: the chunk's results are already one per request.
      for (let k = 0; k < to - from; k++) results.push(onePerRequest ? chunk[k]! : fold(chunk.slice(k === 0 ? 0 : ends[k - 1], ends[k])));
    }
    return results;
  }
  const writers = requests.map((r, i) => {
    const w = new MessageWriter(256);
    try {
      return { w, describe: r.write(w, ifindex) };
    } catch (err) {
      throw opError(i, err);
    }
  });
  const results: BatchResult<never>[] = [];
  for (const { w, describe } of writers) {
    const result = fold(await conn.batch<never>(w, { ...options, describe, stopOnError: true }));
    results.push(result);
    if (!result.ok) break;
  }
  for (let i = results.length; i < writers.length; i++) {
    results.push({ ok: false, skipped: true, error: new Error(`${writers[i]!.w.message(0).what}: not sent, an earlier operation failed`) });
  }
  return results;
}

/**
 * Every device name resolved, or the error of the first op that names a
 * missing one (as writing it would give): a batch is written a chunk at a
 * time, and a name missing in a late chunk must fail before the first is sent.
 */
function checkDevs(requests: readonly RtnlRequest[], devs: ReadonlySet<DevRef>, ifindex: ResolveIfindex): void {
  const missing = [...devs].filter((d) => !resolves(ifindex, d));
  if (missing.length === 0) return;
  for (let i = 0; i < requests.length; i++) {
    if (!requests[i]!.devs.some((d) => missing.includes(d))) continue;
    try {
      // Written to get the error it would give, naming its field ('via', 'dev', ...).
      requests[i]!.write(new MessageWriter(512), ifindex);
    } catch (err) {
      throw opError(i, err);
    }
  }
}

function resolves(ifindex: ResolveIfindex, dev: DevRef): boolean {
  try {
    ifindex(dev, 'dev');
    return true;
  } catch {
    return false;
  }
}

const FDB_ACTIONS = new Map<unknown, FdbAction>([
  ['fdb.add', 'add'],
  ['fdb.append', 'append'],
  ['fdb.replace', 'replace'],
  ['fdb.delete', 'delete'],
]);

/**
 * Every op checked into columns when each is a plain fdb op (FdbColumns);
 * undefined at the first that is not, which the general path then takes
 * from the start. An invalid op throws here as it would there: every op
 * before it passed the same checks.
 */
function fdbColumns(ops: readonly RtnlOperation[]): FdbColumns | undefined {
  const first = ops[0];
  if (first === null || typeof first !== 'object' || !FDB_ACTIONS.has(first.op)) return undefined; // no columns made for other batches
  const columns = new FdbColumns(ops.length);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const action = op !== null && typeof op === 'object' ? FDB_ACTIONS.get(op.op) : undefined;
    if (action === undefined) return undefined;
    try {
      if (!columns.add(action, op as FdbSpec)) return undefined;
    } catch (err) {
      throw opError(i, err);
    }
  }
  return columns;
}

/** A batch of plain fdb ops (fdbColumns): names resolved, then written and sent a chunk at a time, as sendRequests does. */
async function sendFdbColumns(conn: Connection, links: Links, ops: readonly RtnlOperation[], columns: FdbColumns, options: BatchOptions): Promise<BatchResult<never>[]> {
  const ifindex = await resolveDevs(links, columns.devs, options);
  const bySlot = new Int32Array(columns.devs.length);
  for (let slot = 0; slot < bySlot.length; slot++) {
    try {
      bySlot[slot] = ifindex(columns.devs[slot]!, 'dev');
    } catch (err) {
      throw opError(columns.firstWith(slot), err);
    }
  }
  // Read again only to name an op in an error.
  const specAt = (i: number): { action: FdbAction; spec: FdbSpec } => ({ action: FDB_ACTIONS.get(ops[i]!.op)!, spec: ops[i] as FdbSpec });
  const chunk = new FdbChunk(columns, CHUNK, bySlot, specAt, ifindex);
  const results: BatchResult<never>[] = [];
  for (let from = 0; from < ops.length; from += CHUNK) {
    const to = Math.min(ops.length, from + CHUNK);
    const replies = await conn.batch<never>(chunk.fill(from, to), { signal: options.signal, timeout: options.timeout, describe: describeFdbMessage, ackPerSend: true });
    for (let k = 0; k < replies.length; k++) results.push(replies[k]!);
  }
  return results;
}

/** rtnl.batch(): validates all, resolves all names, then sends; one result per operation, in order. */
export async function runBatch(
  conn: Connection,
  links: Links,
  ops: readonly RtnlOperation[],
  options: BatchOptions = {},
): Promise<BatchResult<never>[]> {
  if (!Array.isArray(ops)) throw new ValidationError('ops', 'must be an array of operations');
  if (!options.stopOnError) {
    const columns = fdbColumns(ops);
    if (columns !== undefined) return sendFdbColumns(conn, links, ops, columns, options);
  }
  // Filled after validation, before any write: link ops read their namespace files from it.
  const fds = new Map<string, number>();
  const requests: BatchRequest[] = [];
  const devs = new Set<DevRef>(); // 50k fdb entries usually name one device
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    let request: BatchRequest;
    try {
      const name = op !== null && typeof op === 'object' ? (op as { op?: unknown }).op : undefined;
      const build = typeof name === 'string' && Object.hasOwn(BUILDERS, name) ? BUILDERS[name as OpName] : undefined;
      if (build === undefined) throw new ValidationError('op', `unknown operation ${showValue(name)} (${Object.keys(BUILDERS).join(', ')})`);
      request = build(op, fds);
    } catch (err) {
      throw opError(i, err);
    }
    requests.push(request);
    // An indexed loop: for…of made an iterator per op (58 bytes each in a 50k FDB batch's heap profile).
    const named = request.devs;
    for (let k = 0; k < named.length; k++) devs.add(named[k]!);
  }
  const ifindex = await resolveDevs(links, devs, options);
  checkDevs(requests, devs, ifindex);
  try {
    for (let i = 0; i < requests.length; i++) {
      const paths = requests[i]!.namespaces;
      if (paths) for (const path of paths) if (!fds.has(path)) fds.set(path, openSync(path, 'r'));
    }
    return await sendRequests(conn, requests, ifindex, options);
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}
