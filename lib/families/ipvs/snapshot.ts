// Every service with its destinations in one call: one GET_SERVICE dump,
// then one GET_DEST dump per service. A socket runs one dump at a time, so
// the per-service dumps are spread over a small pool of extra sockets to the
// same namespace, opened on first need and kept for reuse: while the kernel
// fills one socket's dump, the others' replies are being decoded.
import type { Connection, DumpOptions } from '../../protocol/connection.js';
import type { IpvsFamily } from './family.js';
import { listServices } from './service.js';
import { dumpDestinations } from './destination.js';
import type { ServiceWithDestinations } from './types.js';
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

  /** Runs `fn` for every item, each socket taking the next item when its previous dump is done; results in input order. */
  async map<T, R>(items: readonly T[], fn: (conn: Connection, item: T, index: number) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    if (items.length === 0) return results;
    let next = 0;
    const worker = async (conn: Connection): Promise<void> => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(conn, items[i]!, i);
      }
    };
    await Promise.all(this.sockets(items.length).map(worker));
    return results;
  }

  close(): void {
    for (const c of this.extra.splice(0)) c.close();
  }
}

/** Services (kernel order) with their destinations and counters. */
export async function snapshot(family: IpvsFamily, pool: DumpPool, options: DumpOptions = {}): Promise<ServiceWithDestinations[]> {
  const familyId = await family.familyId(options);
  const services = await listServices(family.conn, familyId, options);
  const destinations = await pool.map(services, (conn, service) => dumpDestinations(conn, familyId, serviceIdOf(service), options));
  return services.map((s, i) => ({ ...s, destinations: destinations[i]! }));
}
