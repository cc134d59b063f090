// Every service with its destinations in one call: one GET_SERVICE dump,
// then one GET_DEST dump per service. Those go through a BulkDump (all of
// them in a few native calls on the dump channel's thread, replies decoded
// afterwards), or else are spread over a small pool of extra sockets to the
// same namespace (DumpPool, also used for the few lists a batch edit needs):
// while the kernel fills one socket's dump, the others' replies are decoded.
import { MessageWriter } from '../../codec/writer.js';
import type { BulkDump } from '../../protocol/bulk-dump.js';
import type { Connection, DumpOptions } from '../../protocol/connection.js';
import { NetlinkError, TimeoutError } from '../../protocol/errors.js';
import { NLM_F_DUMP_INTR } from '../../uapi/netlink.js';
import type { IpvsFamily } from './family.js';
import { listServices } from './service.js';
import { decodeDestination, dumpDestinations, writeDestinationDump } from './destination.js';
import type { Destination, Service, ServiceWithDestinations } from './types.js';
import { serviceIdOf } from './validate.js';

export class DumpPool {
  private readonly extra: Connection[] = [];
  private failed = false;

  /**
   * @param primary the caller's own socket, always used
   * @param open opens one more socket to the same namespace
   * @param size how many extra sockets at most (0: everything on `primary`)
   */
  constructor(
    private readonly primary: Connection,
    private readonly open: () => Connection,
    readonly size: number,
  ) {}

  /** Sockets for `jobs` dumps: the primary plus as many extra ones as help, opened lazily. */
  private sockets(jobs: number): Connection[] {
    const want = Math.min(this.size, jobs - 1);
    while (!this.failed && this.extra.length < want) {
      try {
        this.extra.push(this.open());
      } catch {
        // Out of descriptors or similar: carry on with the sockets we have.
        this.failed = true;
      }
    }
    return [this.primary, ...this.extra.slice(0, Math.max(0, want))];
  }

  /**
   * Runs `fn` for every item, each socket taking the next item when its
   * previous dump is done; results in input order. `options.timeout` bounds
   * the whole map, not each dump: `fn` gets options with one shared deadline
   * (a signal) and no timer of its own. A timer per dump cost 26 µs each
   * under UML (libuv reads the clock), a quarter of a 10k-service snapshot.
   */
  async map<T, R, O extends DumpOptions>(items: readonly T[], options: O, what: string, fn: (conn: Connection, item: T, options: O) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    if (items.length === 0) return results;
    const ms = options.timeout ?? this.primary.defaultTimeout;
    const deadline = new AbortController();
    const outer = options.signal;
    const onOuterAbort = (): void => deadline.abort(outer!.reason);
    outer?.throwIfAborted();
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    // After a blocked loop a late timer must not fail dumps whose replies already wait: check once more after the poll phase.
    const timer = ms > 0 && Number.isFinite(ms) ? setTimeout(() => setImmediate(() => deadline.abort(new TimeoutError(what, ms))), ms) : undefined;
    const each = { ...options, signal: deadline.signal, timeout: 0 };
    let next = 0;
    const worker = async (conn: Connection): Promise<void> => {
      while (next < items.length) {
        const i = next++;
        try {
          results[i] = await fn(conn, items[i]!, each);
        } catch (err) {
          // One failure fails the map: the other sockets stop instead of dumping on.
          deadline.abort(err);
          throw err;
        }
      }
    };
    try {
      await Promise.all(this.sockets(items.length).map(worker));
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    }
    return results;
  }

  close(): void {
    for (const c of this.extra.splice(0)) c.close();
  }
}

/** Services (kernel order) with their destinations and counters. */
export async function snapshot(family: IpvsFamily, pool: DumpPool, bulk: BulkDump | undefined, options: DumpOptions = {}): Promise<ServiceWithDestinations[]> {
  const familyId = await family.familyId(options);
  const services = await listServices(family.conn, familyId, options);
  const destinations = bulk
    ? await destinationsInBulk(family, familyId, bulk, services, options)
    : await pool.map(services, options, `list destinations of ${services.length} services`, (conn, service, each) =>
        dumpDestinations(conn, familyId, serviceIdOf(service), each),
      );
  // The decoded services are ours: each takes its list in place of a copy.
  return services.map((s, i) => {
    const full = s as ServiceWithDestinations;
    full.destinations = destinations[i]!;
    return full;
  });
}

/** Every service's GET_DEST dump through the bulk channel; a listing cut by concurrent changes is read again the ordinary way (which retries). */
async function destinationsInBulk(family: IpvsFamily, familyId: number, bulk: BulkDump, services: Service[], options: DumpOptions): Promise<Destination[][]> {
  const ids = services.map(serviceIdOf);
  const w = new MessageWriter(64 + services.length * 64);
  for (const id of ids) writeDestinationDump(w, familyId, id);
  const lists: Destination[][] = services.map(() => []);
  const interrupted = new Set<number>();
  let failure: Error | undefined;
  await bulk.run(w, {
    message(i, msg) {
      if (msg.flags & NLM_F_DUMP_INTR) interrupted.add(i);
      const d = decodeDestination(msg, ids[i]!.family);
      if (d !== undefined) lists[i]!.push(d);
    },
    error(i, errno) {
      failure ??= new NetlinkError({ errno, operation: `list destinations of service ${ids[i]!.text}` });
    },
  }, options);
  if (failure) throw failure;
  for (const i of interrupted) lists[i] = await dumpDestinations(family.conn, familyId, ids[i]!, options);
  return lists;
}
