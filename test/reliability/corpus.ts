// Seeds for the decoder fuzzer: every real kernel message, frame and /proc
// table the fixtures hold (test/fixtures/*, each with the command that made
// it), tagged with the decoder that reads it.
import { LINK_FIXTURES, fixtureBytes } from '../fixtures/link-messages.js';
import { ADDRESS_FIXTURES } from '../fixtures/addr-kernel.js';
import { ROUTE_FIXTURES } from '../fixtures/route-kernel.js';
import { NEIGHBOUR_FIXTURES } from '../fixtures/neigh-kernel.js';
import { FDB_FIXTURES } from '../fixtures/fdb-kernel.js';
import { SERVICE_DUMP, TCP_DEST_DUMP, UDP_DEST_DUMP, UDP_SERVICE_GET } from '../fixtures/ipvs-dumps.js';
import { GET_DAEMON_REPLIES_HEX, IP_VS_CONN_HEX, IP_VS_CONN_SYNC_HEX } from '../fixtures/ipvs-conn.js';
import { FRAMES } from '../fixtures/frames-captured.js';

/** Which decoder a seed feeds: netlink messages by family, frames, and the /proc connection table. */
export type SeedKind = 'link' | 'address' | 'route' | 'neighbour' | 'fdb' | 'service' | 'destination' | 'daemon' | 'frame' | 'conntable';

export interface Seed {
  kind: SeedKind;
  name: string;
  bytes: Buffer;
}

const hex = (h: string): Buffer => Buffer.from(h, 'hex');

export function loadCorpus(): Seed[] {
  const seeds: Seed[] = [];
  for (const [name, f] of Object.entries(LINK_FIXTURES)) seeds.push({ kind: 'link', name, bytes: fixtureBytes(f) });
  ADDRESS_FIXTURES.forEach((f) => seeds.push({ kind: 'address', name: f.command, bytes: hex(f.hex) }));
  ROUTE_FIXTURES.forEach((f) => seeds.push({ kind: 'route', name: f.command, bytes: hex(f.hex) }));
  NEIGHBOUR_FIXTURES.forEach((f) => seeds.push({ kind: 'neighbour', name: f.command, bytes: hex(f.hex) }));
  FDB_FIXTURES.forEach((f) => seeds.push({ kind: 'fdb', name: f.command, bytes: hex(f.hex) }));
  [...SERVICE_DUMP, UDP_SERVICE_GET].forEach((h, i) => seeds.push({ kind: 'service', name: `service ${i}`, bytes: hex(h) }));
  [...TCP_DEST_DUMP, ...UDP_DEST_DUMP].forEach((h, i) => seeds.push({ kind: 'destination', name: `destination ${i}`, bytes: hex(h) }));
  GET_DAEMON_REPLIES_HEX.forEach((h, i) => seeds.push({ kind: 'daemon', name: `daemon ${i}`, bytes: hex(h) }));
  FRAMES.forEach((f) => seeds.push({ kind: 'frame', name: f.name, bytes: hex(f.hex) }));
  seeds.push({ kind: 'conntable', name: 'ip_vs_conn', bytes: hex(IP_VS_CONN_HEX) });
  seeds.push({ kind: 'conntable', name: 'ip_vs_conn_sync', bytes: hex(IP_VS_CONN_SYNC_HEX) });
  return seeds;
}
