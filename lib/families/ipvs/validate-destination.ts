// Checks a destination (real server) before anything reaches the kernel, and
// turns it into what NEW/SET/DEL_DEST send: see validate.ts for services and
// for the primitives both use.
import { ipToBytes, ipv4Bits, ipv4FromBits, isIpv4 } from '../../codec/address.js';
import { ValidationError, showValue } from '../../protocol/errors.js';
import {
  IP_VS_CONN_F_TUNNEL, IP_VS_CONN_F_DROUTE, IP_VS_CONN_F_TUNNEL_TYPE_IPIP, IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM,
} from '../../uapi/ip_vs.js';
import type { DestinationSpec, Destination } from './types.js';
import {
  FORWARD_METHODS, TUNNEL_CHECKSUMS, TUNNEL_TYPES, INT_MAX, U32_MAX, afOf, formatAddressPort, integer, isObject, lacks, parseAddress,
  type ServiceId,
} from './validate.js';

export interface DestinationId {
  family: 4 | 6;
  af: number;
  address: Buffer;
  /** The IPv4 address as dotted-quad text, when the id keeps it so: written straight into the message, without making `address`. */
  ipv4Text?: string;
  /** The IPv4 address as ipv4Bits(), when the id keeps it so (the plain adds of a long batch). */
  ipv4Bits?: number;
  port: number;
  /** "192.0.2.10:80" or "[2001:db8::10]:80". */
  text: string;
}

/**
 * A destination id checked from the caller's input. An IPv4 address stays
 * the caller's text, and its bytes and the id's text are made only when
 * asked for: a 40k-destination batch builds neither.
 */
class CheckedDestinationId implements DestinationId {
  private bytes: Buffer | undefined;
  private label: string | undefined;
  /** Set only by the shared object of the plain adds (ScratchDestination). */
  ipv4Bits: number | undefined = undefined;

  constructor(
    readonly family: 4 | 6,
    readonly port: number,
    /** The address as text in normal form (the caller's own string for IPv4). */
    private readonly addressText: string,
    readonly ipv4Text: string | undefined,
    bytes: Buffer | undefined,
  ) {
    this.bytes = bytes;
  }

  get af(): number {
    return afOf(this.family);
  }

  get address(): Buffer {
    return (this.bytes ??= ipToBytes(this.addressText, 'destination.address'));
  }

  get text(): string {
    return (this.label ??= formatAddressPort(this.addressText, this.family, this.port));
  }
}

/**
 * A destination to send whole (NEW/SET_DEST): its own id, so a batch keeps
 * one object per destination, not three (each one that outlives the young
 * generation is copied by every scavenge until promoted).
 */
class CheckedDestination extends CheckedDestinationId implements ResolvedDestination {
  forward = 0;
  weight = 0;
  upperThreshold = 0;
  lowerThreshold = 0;
  tunnel: ResolvedDestination['tunnel'] = undefined;

  get id(): DestinationId {
    return this;
  }
}

/** Everything a NEW_DEST / SET_DEST needs. */
export interface ResolvedDestination {
  id: DestinationId;
  forward: number;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  /** Sent only when not the kernel's default (ipip, port 0, no checksum flags). */
  tunnel?: { type: number; port: number; flags: number };
}

/** A destination's identity: address and port (default: the service's port). */
export function destinationId(dest: { address: string; port?: number }, service: ServiceId, field = 'destination'): DestinationId {
  return checkDestination(dest, service, field, CheckedDestinationId);
}

/** The checked address and port, as an instance of `kind`. */
function checkDestination<T extends CheckedDestinationId>(dest: { address: string; port?: number }, service: ServiceId, field: string, kind: new (...args: ConstructorParameters<typeof CheckedDestinationId>) => T): T {
  if (!isObject(dest)) throw new ValidationError(field, 'a destination is an object: { address, port? }');
  const v4 = typeof dest.address === 'string' && isIpv4(dest.address);
  const parsed = v4 ? undefined : parseAddress(dest.address, field);
  const port = dest.port === undefined ? service.port : integer(dest.port, field, 'port', service.fwmark ? 0 : 1, 65535, 'a port');
  if (parsed === undefined) return new kind(4, port, dest.address, dest.address, undefined);
  return new kind(parsed.family, port, parsed.text, undefined, parsed.address);
}

export function destinationText(d: Destination): string {
  return formatAddressPort(d.address, d.family, d.port);
}

function tunnelFor(spec: DestinationSpec, forward: number, field: string, current?: Destination): ResolvedDestination['tunnel'] {
  const t = spec.tunnel;
  if (t === undefined) {
    // Keep the current tunnel while forwarding stays 'tunnel': the kernel resets what is not sent.
    if (forward !== IP_VS_CONN_F_TUNNEL || current?.tunnel === undefined) return undefined;
    return tunnelFor({ ...spec, tunnel: current.tunnel }, forward, field);
  }
  if (!isObject(t)) throw new ValidationError(`${field}.tunnel`, 'an object: { type, port?, checksum? }');
  if (forward !== IP_VS_CONN_F_TUNNEL) throw new ValidationError(`${field}.tunnel`, "tunnel options need forward: 'tunnel'");
  const type = TUNNEL_TYPES[t.type];
  if (!Object.hasOwn(TUNNEL_TYPES, t.type) || type === undefined) {
    throw new ValidationError(`${field}.tunnel.type`, `'ipip', 'gue' or 'gre', got ${showValue(t.type)}`);
  }
  let port = 0;
  if (t.type === 'gue') port = integer(t.port, field, 'tunnel.port', 1, 65535, 'a GUE tunnel port (required for gue)');
  else if (t.port !== undefined && t.port !== 0) throw new ValidationError(`${field}.tunnel.port`, `only gue tunnels have a port, not ${t.type}`);
  const checksum = t.checksum ?? 'none';
  if (!Object.hasOwn(TUNNEL_CHECKSUMS, checksum)) throw new ValidationError(`${field}.tunnel.checksum`, `'none', 'csum' or 'remcsum', got ${showValue(checksum)}`);
  if (t.type === 'ipip' && checksum !== 'none') throw new ValidationError(`${field}.tunnel.checksum`, 'ipip tunnels have no checksum option');
  if (t.type === 'gre' && checksum === 'remcsum') throw new ValidationError(`${field}.tunnel.checksum`, "remcsum is for gue tunnels only; gre takes 'none' or 'csum'");
  const flags = TUNNEL_CHECKSUMS[checksum];
  if (type === IP_VS_CONN_F_TUNNEL_TYPE_IPIP && port === 0 && flags === IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM) return undefined;
  return { type, port, flags };
}

/**
 * The object plainDestination() fills: one for all, written out before the
 * next op is checked. It holds the IPv4 address as bits (what EncodedOps
 * keeps); its text and bytes are made from them if asked for.
 */
class ScratchDestination extends CheckedDestination {
  constructor() {
    super(4, 0, '', undefined, undefined);
  }

  override get address(): Buffer {
    return ipToBytes(ipv4FromBits(this.ipv4Bits!), 'destination.address');
  }

  override get text(): string {
    return formatAddressPort(ipv4FromBits(this.ipv4Bits!), 4, this.port);
  }

  fill(port: number, bits: number, forward: number, weight: number, upperThreshold: number, lowerThreshold: number): this {
    (this as { port: number }).port = port;
    this.ipv4Bits = bits;
    this.forward = forward;
    this.weight = weight;
    this.upperThreshold = upperThreshold;
    this.lowerThreshold = lowerThreshold;
    return this;
  }
}
const scratch = new ScratchDestination();

const isWhole = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/**
 * resolveDestination() for the common add, with no object made: an IPv4
 * destination of an IPv4 service, no tunnel, every given field in range.
 * Returns a shared object that is only valid until the next call (write it
 * out at once), or undefined when the spec is anything else; resolveDestination
 * then takes it, and names what is wrong. In a 50k-op bulk create this left
 * out ~200 bytes of garbage per destination (its object and its step).
 */
export function plainDestination(spec: DestinationSpec, service: ServiceId): ResolvedDestination | undefined {
  if (!isObject(spec) || service.family !== 4 || !lacks(spec, 'tunnel')) return undefined;
  const address = spec.address;
  const bits = typeof address === 'string' ? ipv4Bits(address) : NaN;
  if (bits !== bits) return undefined;
  const port = spec.port === undefined ? service.port : spec.port;
  if (!isWhole(port, service.fwmark ? 0 : 1, 65535)) return undefined;
  let forward = IP_VS_CONN_F_DROUTE;
  if (spec.forward !== undefined) {
    if (!Object.hasOwn(FORWARD_METHODS, spec.forward)) return undefined;
    forward = FORWARD_METHODS[spec.forward];
    if (forward === undefined || forward === IP_VS_CONN_F_TUNNEL) return undefined;
  }
  // (=== undefined, not ??: resolveDestination refuses a null.)
  const weight = spec.weight === undefined ? 1 : spec.weight;
  const upper = lacks(spec, 'upperThreshold') ? 0 : spec.upperThreshold;
  const lower = lacks(spec, 'lowerThreshold') ? 0 : spec.lowerThreshold;
  if (!isWhole(weight, 0, INT_MAX) || !isWhole(upper, 0, INT_MAX) || !isWhole(lower, 0, U32_MAX) || lower > upper) return undefined;
  return plainDestinationOf(port, bits, forward, weight, upper, lower);
}

/** A plain destination add from its checked values (the IPv4 address as ipv4Bits()), in the shared object plainDestination() returns. */
export function plainDestinationOf(port: number, bits: number, forward: number, weight: number, upperThreshold: number, lowerThreshold: number): ResolvedDestination {
  return scratch.fill(port, bits, forward, weight, upperThreshold, lowerThreshold);
}

/** The complete destination to send: the caller's spec over `current` (edit) or over ipvsadm's defaults (add). */
export function resolveDestination(spec: DestinationSpec, service: ServiceId, field: string, current?: Destination): ResolvedDestination {
  const id = checkDestination(spec, service, field, CheckedDestination);
  let forward: number;
  if (spec.forward !== undefined) {
    const f = FORWARD_METHODS[spec.forward];
    if (!Object.hasOwn(FORWARD_METHODS, spec.forward) || f === undefined) {
      throw new ValidationError(`${field}.forward`, `'masq', 'route', 'tunnel', 'local' or 'bypass', got ${showValue(spec.forward)}`);
    }
    forward = f;
  } else forward = current ? FORWARD_METHODS[current.forward] : IP_VS_CONN_F_DROUTE;
  const weight = spec.weight !== undefined ? integer(spec.weight, field, 'weight', 0, INT_MAX, 'a weight') : (current?.weight ?? 1);
  const upperThreshold = spec.upperThreshold !== undefined ? integer(spec.upperThreshold, field, 'upperThreshold', 0, INT_MAX, 'a connection threshold') : (current?.upperThreshold ?? 0);
  const lowerThreshold = spec.lowerThreshold !== undefined ? integer(spec.lowerThreshold, field, 'lowerThreshold', 0, U32_MAX, 'a connection threshold') : (current?.lowerThreshold ?? 0);
  if (lowerThreshold > upperThreshold) {
    const which = spec.lowerThreshold !== undefined || spec.upperThreshold === undefined ? 'lowerThreshold' : 'upperThreshold';
    throw new ValidationError(`${field}.${which}`, `the lower threshold (${lowerThreshold}) must not exceed the upper one (${upperThreshold}${upperThreshold === 0 ? ', none' : ''})`);
  }
  if (id.family !== service.family && forward !== IP_VS_CONN_F_TUNNEL) {
    throw new ValidationError(`${field}.address`, `an IPv${id.family} destination in an IPv${service.family} service needs forward: 'tunnel'`);
  }
  id.forward = forward;
  id.weight = weight;
  id.upperThreshold = upperThreshold;
  id.lowerThreshold = lowerThreshold;
  id.tunnel = tunnelFor(spec, forward, field, current);
  return id;
}

