// The desired IPVS state, checked and completed with the values the kernel
// reports for what a caller leaves out (scheduler wlc, not persistent, netmask
// /32 or /128, no flags; forward 'route', weight 1, no thresholds), so a
// desired state read back from the kernel compares equal to itself and a
// second apply() has nothing to do. Every problem is a ValidationError naming
// the field (`services[0].destinations[1].weight`), found before anything is read or sent.
import { ValidationError } from '../protocol/errors.js';
import type { DestinationSpec, ServiceSpec } from '../families/ipvs/types.js';
import {
  DEFAULT_SCHEDULER, FORWARD_METHODS, USER_FLAG_BITS, nameOf, resolveService, serviceId, type ResolvedService, type ServiceId, type WriteChecks,
} from '../families/ipvs/validate.js';
import { resolveDestination, type ResolvedDestination } from '../families/ipvs/validate-destination.js';
import { IP_VS_CONN_F_TUNNEL } from '../uapi/ip_vs.js';

import { asDestination } from '../families/ipvs/destination.js';
import { asService } from '../families/ipvs/service.js';
import { isPlainObject } from './fields.js';

/** A service and its real servers, as a caller wants them. Fields left out take the kernel's defaults. */
export type DesiredService = ServiceSpec & { destinations?: DestinationSpec[] };

export interface IpvsDesiredState {
  services: DesiredService[];
}

export interface NormalDestination {
  /** "192.0.2.10:80". */
  text: string;
  /** Every field set: what an add or an edit sends. */
  spec: DestinationSpec;
  resolved: ResolvedDestination;
  field: string;
}

export interface NormalService {
  id: ServiceId;
  /** Every field set except `pe`, which is set per kernel state (cleared only when the kernel has one). */
  spec: ServiceSpec;
  resolved: ResolvedService;
  field: string;
  destinations: NormalDestination[];
}

const NO_FLAGS = { onePacket: false, shFallback: false, shPort: false, mhFallback: false, mhPort: false };

function completeService(s: DesiredService, field: string, checks: WriteChecks): { spec: ServiceSpec; resolved: ResolvedService; id: ServiceId } {
  if (!isPlainObject(s)) throw new ValidationError(field, 'a service is an object: { protocol, address, port, scheduler?, destinations? } or { fwmark, ... }');
  const { destinations: _destinations, ...rest } = s;
  const id = serviceId(rest as ServiceSpec, field);
  if (rest.flags !== undefined && !isPlainObject(rest.flags)) throw new ValidationError(`${field}.flags`, 'an object of booleans');
  const spec = {
    ...rest,
    scheduler: rest.scheduler ?? DEFAULT_SCHEDULER,
    persistent: rest.persistent ?? 0,
    netmask: rest.netmask ?? (id.family === 4 ? '255.255.255.255' : 128),
    flags: { ...NO_FLAGS, ...rest.flags },
  } as ServiceSpec;
  return { spec, resolved: resolveService(spec, field, checks), id };
}

function completeDestination(d: DestinationSpec, service: ServiceId, field: string): NormalDestination {
  if (!isPlainObject(d)) throw new ValidationError(field, 'a destination is an object: { address, port?, forward?, weight?, ... }');
  const forward = d.forward ?? 'route';
  // The fields a destination has, one literal (no spread: a desired state may hold 40k of these).
  const spec: DestinationSpec = {
    address: d.address,
    port: d.port,
    forward,
    weight: d.weight ?? 1,
    upperThreshold: d.upperThreshold ?? 0,
    lowerThreshold: d.lowerThreshold ?? 0,
    // The kernel keeps a tunnel's settings when they are not sent: state the default.
    tunnel: forward === 'tunnel' && d.tunnel === undefined ? { type: 'ipip' } : d.tunnel,
  };
  if (spec.tunnel === undefined) delete spec.tunnel;
  const resolved = resolveDestination(spec, service, field);
  spec.port = resolved.id.port;
  return { text: resolved.id.text, spec, resolved, field };
}

/** Checks a desired state and completes it; throws a ValidationError naming the first bad field. */
export function normalizeIpvs(desired: IpvsDesiredState, checks: WriteChecks = {}, field = ''): NormalService[] {
  return [...normalizeEach(desired, checks, field)];
}

/**
 * normalizeIpvs() for apply(): the same checks and result, with the event
 * loop let run after every `slice` services (10k × 4 in one go blocked it for
 * about a second under UML).
 */
export async function normalizeIpvsInSlices(desired: IpvsDesiredState, checks: WriteChecks = {}, slice = 1000): Promise<NormalService[]> {
  const out: NormalService[] = [];
  for (const s of normalizeEach(desired, checks, '')) {
    if (out.push(s) % slice === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
}

function* normalizeEach(desired: IpvsDesiredState, checks: WriteChecks, field: string): Generator<NormalService> {
  const at = (f: string): string => (field ? `${field}.${f}` : f);
  if (!isPlainObject(desired)) throw new ValidationError(field || 'desired', 'an object: { services: [...] }');
  if (!Array.isArray(desired.services)) throw new ValidationError(at('services'), 'an array of services');
  const seen = new Map<string, string>();
  for (let i = 0; i < desired.services.length; i++) {
    const s = desired.services[i]!;
    const sf = at(`services[${i}]`);
    const { spec, resolved, id } = completeService(s, sf, checks);
    const before = seen.get(id.text);
    if (before !== undefined) throw new ValidationError(sf, `service ${id.text} is already listed as ${before}`);
    seen.set(id.text, sf);
    const list = s.destinations ?? [];
    if (!Array.isArray(list)) throw new ValidationError(`${sf}.destinations`, 'an array of destinations');
    const dests = new Map<string, string>();
    const destinations = list.map((d, j) => {
      const df = `${sf}.destinations[${j}]`;
      const n = completeDestination(d, id, df);
      const other = dests.get(n.text);
      if (other !== undefined) throw new ValidationError(df, `destination ${n.text} is already listed as ${other}`);
      dests.set(n.text, df);
      return n;
    });
    yield { id, spec, resolved, field: sf, destinations };
  }
}

/** "rr persistent 300 netmask 255.255.255.0 onePacket", after ipvsadm -L's service line. */
export function serviceSummary(r: ResolvedService): string {
  // The common case, without building the Service it describes.
  if (r.timeout === 0 && !r.pe && (r.flags & USER_FLAG_BITS) === 0) return r.scheduler;
  const s = asService(r);
  const parts = [s.scheduler];
  if (s.persistent > 0) parts.push(`persistent ${s.persistent}`);
  if (s.persistent > 0 && s.netmask !== (s.family === 4 ? '255.255.255.255' : 128)) parts.push(`netmask ${s.netmask}`);
  if (s.pe) parts.push(`pe ${s.pe}`);
  parts.push(...Object.entries(s.flags).filter(([, on]) => on).map(([name]) => name));
  return parts.join(' ');
}

/** "masq weight 1", with thresholds and tunnel options when set. */
export function destinationSummary(r: ResolvedDestination): string {
  // The common case, without building the Destination it describes.
  if (!r.upperThreshold && !r.lowerThreshold && r.forward !== IP_VS_CONN_F_TUNNEL) return `${nameOf(FORWARD_METHODS, r.forward) ?? 'route'} weight ${r.weight}`;
  const d = asDestination(r);
  const parts = [d.forward, `weight ${d.weight}`];
  if (d.upperThreshold) parts.push(`upper ${d.upperThreshold}`);
  if (d.lowerThreshold) parts.push(`lower ${d.lowerThreshold}`);
  if (d.tunnel && (d.tunnel.type !== 'ipip' || d.tunnel.port || d.tunnel.checksum !== 'none')) {
    parts.push(`tunnel ${d.tunnel.type}${d.tunnel.port ? ` port ${d.tunnel.port}` : ''}${d.tunnel.checksum !== 'none' ? ` ${d.tunnel.checksum}` : ''}`);
  }
  return parts.join(' ');
}
