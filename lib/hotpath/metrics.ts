// What the exporter publishes, as Prometheus metric families. Names follow
// node_exporter where it has the metric: its ipvs collector (namespace
// totals, and per real server the weight and active / inactive connections,
// labelled local_address, local_port, remote_address, remote_port, proto,
// local_mark) and its netdev collector (node_network_*_total{device}).
// Counters node_exporter lacks (per service and per real server traffic, the
// rest of rtnl_link_stats64) are under nl_lvs_*.
import { zeroStats } from '../families/ipvs/stats.js';
import type { DestinationLabels, ServiceLabels } from './ipvs-slots.js';
import { IPVS_STRIDE, DESTINATION_GAUGE_STRIDE } from './ipvs-slots.js';
import { LINK_COUNTERS, LINK_STRIDE } from './link-slots.js';
import type { StatsReader } from './stats-reader.js';
import type { ProcIpvsService, ProcIpvsTotals } from './proc-ipvs.js';
import type { MetricsText, Labels } from './prom-text.js';

/** Where IPVS numbers come from: netlink (needs CAP_NET_ADMIN), /proc (without it), or nowhere (no IPVS). */
export type IpvsSource = 'netlink' | 'proc' | 'none';
export const IPVS_SOURCES: readonly IpvsSource[] = ['netlink', 'proc', 'none'];

const TOTALS: Array<[name: string, field: keyof ProcIpvsTotals, help: string]> = [
  ['node_ipvs_connections_total', 'connections', 'The total number of connections made.'],
  ['node_ipvs_incoming_packets_total', 'inPackets', 'The total number of incoming packets.'],
  ['node_ipvs_outgoing_packets_total', 'outPackets', 'The total number of outgoing packets.'],
  ['node_ipvs_incoming_bytes_total', 'inBytes', 'The total amount of incoming data.'],
  ['node_ipvs_outgoing_bytes_total', 'outBytes', 'The total amount of outgoing data.'],
];

/** The five IPVS counters, in slot order, as metric name suffixes. */
const COUNTER_SUFFIXES = [
  ['connections_total', 'connections'],
  ['incoming_packets_total', 'incoming packets'],
  ['outgoing_packets_total', 'outgoing packets'],
  ['incoming_bytes_total', 'bytes of incoming data'],
  ['outgoing_bytes_total', 'bytes of outgoing data'],
] as const;

const BACKEND_GAUGES = [
  ['node_ipvs_backend_weight', 0, 'The current backend weight by local and remote address.'],
  ['node_ipvs_backend_connections_active', 1, 'The current active connections by local and remote address.'],
  ['node_ipvs_backend_connections_inactive', 2, 'The current inactive connections by local and remote address.'],
  ['nl_lvs_ipvs_backend_connections_persistent', 3, 'The current persistent connections (templates) by local and remote address.'],
] as const;

/** node_exporter's default netdev names (as /proc/net/dev has them) for stats64 fields. */
const NETDEV: Array<[name: string, fields: Array<(typeof LINK_COUNTERS)[number]>]> = [
  ['node_network_receive_bytes_total', ['rx_bytes']],
  ['node_network_transmit_bytes_total', ['tx_bytes']],
  ['node_network_receive_packets_total', ['rx_packets']],
  ['node_network_transmit_packets_total', ['tx_packets']],
  ['node_network_receive_errs_total', ['rx_errors']],
  ['node_network_transmit_errs_total', ['tx_errors']],
  ['node_network_receive_drop_total', ['rx_dropped', 'rx_missed_errors']],
  ['node_network_transmit_drop_total', ['tx_dropped']],
  ['node_network_receive_multicast_total', ['multicast']],
  ['node_network_transmit_colls_total', ['collisions']],
];
const IN_NETDEV: ReadonlySet<string> = new Set<string>(NETDEV.flatMap(([, f]) => f).filter((f) => f !== 'rx_missed_errors'));

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

/** node_exporter's labels of a virtual service. */
export function serviceLabels(s: ServiceLabels | ProcIpvsService): Record<string, string> {
  if ('proto' in s) {
    return { local_address: s.address, local_port: String(s.port), local_mark: s.proto === 'FWM' ? hex8(s.fwmark) : '', proto: s.proto };
  }
  if (s.fwmark !== undefined) return { local_address: '', local_port: '0', local_mark: hex8(s.fwmark), proto: 'FWM' };
  return { local_address: s.address, local_port: String(s.port), local_mark: '', proto: s.protocol.toUpperCase() };
}

/** node_exporter's labels of a real server of a service (its labels in node_exporter's order). */
function backendLabels(service: Record<string, string>, address: string, port: number): Labels {
  return {
    local_address: service.local_address!, local_port: service.local_port!, remote_address: address,
    remote_port: String(port), proto: service.proto!, local_mark: service.local_mark!,
  };
}

export function declareSource(out: MetricsText, source: IpvsSource): void {
  out.declare('nl_lvs_ipvs_source', 'gauge', 'Where the IPVS metrics come from: netlink (CAP_NET_ADMIN), proc (/proc/net/ip_vs, no per-service traffic), or none (no IPVS).');
  for (const s of IPVS_SOURCES) out.add('nl_lvs_ipvs_source', { source: s }, s === source ? 1 : 0);
}

export function writeTotals(out: MetricsText, totals: ProcIpvsTotals): void {
  for (const [name, field, help] of TOTALS) out.declare(name, 'counter', help).add(name, undefined, totals[field]);
}

/** Services and real servers as the stats reader last read them. */
export function writeReaderIpvs(out: MetricsText, reader: StatsReader): void {
  const services = reader.services;
  const dests = reader.destinations;
  if (services === undefined || dests === undefined) return;
  const serviceSet: Array<Record<string, string> | undefined> = [];
  for (const [suffix, what] of COUNTER_SUFFIXES) out.declare(`nl_lvs_ipvs_service_${suffix}`, 'counter', `Per virtual service: ${what}.`);
  for (let slot = 0; slot < services.table.highWater; slot++) {
    if (services.table.live[slot] !== 1) continue;
    const labels = serviceLabels(services.labels[slot]!);
    serviceSet[slot] = labels;
    COUNTER_SUFFIXES.forEach(([suffix], i) => out.add(`nl_lvs_ipvs_service_${suffix}`, labels, services.counters[slot * IPVS_STRIDE + i]!));
  }
  for (const [name, , help] of BACKEND_GAUGES) out.declare(name, 'gauge', help);
  for (const [suffix, what] of COUNTER_SUFFIXES) out.declare(`nl_lvs_ipvs_backend_${suffix}`, 'counter', `Per real server of a virtual service: ${what}.`);
  for (let slot = 0; slot < dests.table.highWater; slot++) {
    if (dests.table.live[slot] !== 1) continue;
    const d = dests.labels[slot] as DestinationLabels;
    const service = serviceSet[d.service];
    if (service === undefined) continue;
    const labels = backendLabels(service, d.address, d.port);
    for (const [name, gauge] of BACKEND_GAUGES) out.add(name, labels, dests.gauges[slot * DESTINATION_GAUGE_STRIDE + gauge]!);
    COUNTER_SUFFIXES.forEach(([suffix], i) => out.add(`nl_lvs_ipvs_backend_${suffix}`, labels, dests.counters[slot * IPVS_STRIDE + i]!));
  }
}

/** Services and real servers from /proc/net/ip_vs: gauges only. */
export function writeProcIpvs(out: MetricsText, services: readonly ProcIpvsService[]): void {
  for (const [name, , help] of BACKEND_GAUGES) if (name.startsWith('node_')) out.declare(name, 'gauge', help);
  for (const s of services) {
    const service = serviceLabels(s);
    for (const d of s.destinations) {
      const labels = backendLabels(service, d.address, d.port);
      out.add('node_ipvs_backend_weight', labels, d.weight);
      out.add('node_ipvs_backend_connections_active', labels, d.activeConnections);
      out.add('node_ipvs_backend_connections_inactive', labels, d.inactiveConnections);
    }
  }
}

/** The sum of the services' counters: the totals when /proc/net/ip_vs_stats cannot be read. */
export function totalsOfServices(reader: StatsReader): ProcIpvsTotals {
  const t = zeroStats();
  const services = reader.services;
  if (services === undefined) return t;
  const fields = Object.keys(t) as Array<keyof ProcIpvsTotals>;
  for (let slot = 0; slot < services.table.highWater; slot++) {
    if (services.table.live[slot] !== 1) continue;
    fields.forEach((f, i) => (t[f] += services.counters[slot * IPVS_STRIDE + i]!));
  }
  return t;
}

/** Link counters: node_exporter's netdev names where it has them, nl_lvs_link_<field>_total for the rest. */
export function writeLinks(out: MetricsText, reader: StatsReader): void {
  const links = reader.links;
  if (links.count === 0) return;
  out.declare('nl_lvs_link_up', 'gauge', 'Whether the link could be read at the last scrape (0: it does not exist).');
  for (const [name] of NETDEV) out.declare(name, 'counter', `Network device statistic ${name.slice('node_network_'.length, -'_total'.length)}.`);
  const rest = LINK_COUNTERS.filter((f) => !IN_NETDEV.has(f));
  for (const f of rest) out.declare(`nl_lvs_link_${f}_total`, 'counter', `Network device statistic ${f} (struct rtnl_link_stats64).`);
  for (let i = 0; i < links.count; i++) {
    const device = { device: links.names[i]! };
    out.add('nl_lvs_link_up', device, links.present[i]!);
    if (links.present[i] !== 1) continue;
    const field = (f: (typeof LINK_COUNTERS)[number]): bigint => links.counters[i * LINK_STRIDE + LINK_COUNTERS.indexOf(f)]!;
    for (const [name, fields] of NETDEV) out.add(name, device, fields.reduce((sum, f) => sum + field(f), 0n));
    for (const f of rest) out.add(`nl_lvs_link_${f}_total`, device, field(f));
  }
}
