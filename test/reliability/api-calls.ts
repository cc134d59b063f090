// Runs an invalid call (test/reliability/api-inputs.ts) through the real
// public API, on an Rtnl or an Ipvs handle.
import type { Rtnl } from '../../lib/api/rtnl.js';
import type { Ipvs } from '../../lib/api/ipvs.js';
import { ValidationError } from '../../lib/protocol/errors.js';
import { namesCorrupted, type ApiCall, type InvalidCall } from './api-inputs.js';

export function callRtnl(rtnl: Rtnl, call: ApiCall): Promise<unknown> {
  const c = call as ApiCall & { spec: never; link: never; changes: never; ops: never };
  switch (call.api) {
    case 'links.create': return rtnl.links.create(c.spec);
    case 'links.set': return rtnl.links.set(c.link, c.changes);
    case 'links.delete': return rtnl.links.delete(c.link);
    case 'addresses.add': return rtnl.addresses.add(c.spec);
    case 'addresses.delete': return rtnl.addresses.delete(c.spec);
    case 'fdb.add': return rtnl.fdb.add(c.spec);
    case 'fdb.append': return rtnl.fdb.append(c.spec);
    case 'fdb.delete': return rtnl.fdb.delete(c.spec);
    case 'routes.add': return rtnl.routes.add(c.spec);
    case 'neighbours.add': return rtnl.neighbours.add(c.spec);
    case 'batch': return rtnl.batch(c.ops);
    default: throw new Error(`callRtnl: ${call.api} is not an rtnetlink call`);
  }
}

export function callIpvs(ipvs: Ipvs, call: ApiCall): Promise<unknown> {
  const c = call as ApiCall & { spec: never; service: never };
  switch (call.api) {
    case 'ipvs.addService': return ipvs.addService(c.spec);
    case 'ipvs.addDestination': return ipvs.addDestination(c.service, c.spec);
    case 'ipvs.startDaemon': return ipvs.startDaemon(c.spec);
    case 'ipvs.setTimeouts': return ipvs.setTimeouts(c.spec);
    default: throw new Error(`callIpvs: ${call.api} is not an IPVS call`);
  }
}

export interface InvalidRun {
  /** Calls that were accepted, failed with something other than a ValidationError, or named the wrong field. */
  wrong: string[];
  byApi: Map<string, number>;
}

/** Makes `count` invalid calls one after another and sorts out those not refused as they should be. */
export async function runInvalidCalls(count: number, next: () => InvalidCall, send: (call: ApiCall) => Promise<unknown>): Promise<InvalidRun> {
  const wrong: string[] = [];
  const byApi = new Map<string, number>();
  for (let i = 0; i < count && wrong.length <= 20; i++) {
    const { call, corrupted } = next();
    byApi.set(call.api, (byApi.get(call.api) ?? 0) + 1);
    const what = `${call.api} ${corrupted.join(',')}`;
    try {
      await send(call);
      wrong.push(`accepted: ${what}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) wrong.push(`${(err as Error)?.name} ${(err as Error)?.message} ← ${what}`);
      else if (!namesCorrupted(err.field, corrupted)) wrong.push(`field ${err.field} ← ${what}`);
    }
  }
  return { wrong: [...new Set(wrong)], byApi };
}
