// --json: the data of every listing, machine-readable. Services and real
// servers are the library's own objects (Service, Destination), in the order
// the text listing uses; 64-bit counters are decimal strings, since JSON
// numbers lose precision above 2^53. Addresses are always numeric.
import type { IpvsConnection } from '../../families/ipvs/connection-table.js';
import type { IpvsTimeouts } from '../../families/ipvs/config.js';
import type { SyncDaemon } from '../../families/ipvs/types.js';
import type { ServiceRow } from './model.js';

function withoutRaw<T extends { unknown?: unknown }>(o: T): Omit<T, 'unknown'> {
  const { unknown: _raw, ...rest } = o;
  return rest;
}

/** A service with its real servers, in listing order. */
export function serviceJson(row: ServiceRow, dests: ServiceRow['dests']): unknown {
  return { ...withoutRaw(row.source), destinations: dests.map((d) => withoutRaw(d.source)) };
}

/** JSON text with bigints as strings, two-space indented, one trailing newline. */
export function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
}

export function listJson(info: { version: string; connTableSize: number } | undefined, services: unknown[]): string {
  return stringify(info === undefined ? { services } : { version: info.version, connTableSize: info.connTableSize, services });
}

export function connectionsJson(conns: IpvsConnection[]): string {
  return stringify({ connections: conns });
}

export function timeoutsJson(t: IpvsTimeouts): string {
  return stringify({ timeouts: t });
}

export function daemonsJson(daemons: SyncDaemon[]): string {
  return stringify({ daemons });
}
