// Runs an invalid API call through the request builders alone (no socket):
// what every public call does first. Used by the unit fuzz test; the host and
// UML tests run the same calls through the real API.
import { MessageWriter } from '../../lib/codec/writer.js';
import { writeLinkCreate, writeLinkSet, writeLinkDelete, type LinkSpec, type LinkChanges } from '../../lib/families/link/requests.js';
import { LinkRefCollector } from '../../lib/families/link/refs.js';
import { addressRequest, type AddressSpec } from '../../lib/families/addr.js';
import { fdbRequest, type FdbSpec } from '../../lib/families/fdb.js';
import { routeRequest, type RouteSpec } from '../../lib/families/route.js';
import { neighbourRequest, type NeighbourSpec } from '../../lib/families/neigh.js';
import { resolveService, serviceId } from '../../lib/families/ipvs/validate.js';
import { resolveDestination } from '../../lib/families/ipvs/validate-destination.js';
import { validateDaemon } from '../../lib/families/ipvs/daemon.js';
import type { ServiceSpec, DestinationSpec, ServiceKey, SyncDaemon } from '../../lib/families/ipvs/types.js';
import type { LinkRef } from '../../lib/families/link/common.js';
import type { ApiCall } from './api-inputs.js';

/** Validates and builds the call's request(s); throws what the API would throw before sending. */
export function buildCall(call: ApiCall): void {
  const w = new MessageWriter(256);
  const noDevs = (): number => 1;
  switch (call.api) {
    case 'links.create':
      writeLinkCreate(w, call.spec as unknown as LinkSpec, new LinkRefCollector());
      return;
    case 'links.set':
      writeLinkSet(w, call.link as LinkRef, call.changes as LinkChanges, new LinkRefCollector());
      return;
    case 'links.delete':
      writeLinkDelete(w, call.link as LinkRef);
      return;
    case 'addresses.add':
    case 'addresses.delete':
      addressRequest(call.api === 'addresses.add' ? 'add' : 'delete', call.spec as unknown as AddressSpec).write(w, noDevs);
      return;
    case 'fdb.add':
    case 'fdb.append':
    case 'fdb.delete':
      fdbRequest(call.api.slice(4) as 'add', call.spec as unknown as FdbSpec).write(w, noDevs);
      return;
    case 'routes.add':
      routeRequest('add', call.spec as unknown as RouteSpec).write(w, noDevs);
      return;
    case 'neighbours.add':
      neighbourRequest('add', call.spec as unknown as NeighbourSpec).write(w, noDevs);
      return;
    case 'ipvs.addService':
      resolveService(call.spec as unknown as ServiceSpec, 'service', {});
      return;
    case 'ipvs.addDestination':
      resolveDestination(call.spec as unknown as DestinationSpec, serviceId(call.service as unknown as ServiceKey), 'destination');
      return;
    case 'ipvs.startDaemon':
      validateDaemon(call.spec as unknown as SyncDaemon);
      return;
    default:
      throw new Error(`buildCall: ${call.api} has no builder-only form`);
  }
}
