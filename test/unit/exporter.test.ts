// The exporter's metrics rendered from real kernel bytes and /proc text
// (test/fixtures/stats-reader-kernel.ts), parsed back with a real Prometheus
// text-format parser: node_exporter's names and label conventions, nl_lvs_*
// per-service traffic, values as ipvsadm showed them; plus escaping and
// option parsing.
import { describe, it, expect } from 'vitest';
import { REPLY_HEADER } from '../../lib/transport/dump-channel.js';
import { ReplyBuffer, RequestBuffer } from '../../lib/hotpath/raw.js';
import { ServiceSlots, DestinationSlots } from '../../lib/hotpath/ipvs-slots.js';
import { LinkSlots } from '../../lib/hotpath/link-slots.js';
import type { StatsReader } from '../../lib/hotpath/stats-reader.js';
import { MetricsText } from '../../lib/hotpath/prom-text.js';
import { declareSource, writeLinks, writeProcIpvs, writeReaderIpvs, writeTotals } from '../../lib/hotpath/metrics.js';
import { parseProcIpvs, parseProcIpvsStats } from '../../lib/hotpath/proc-ipvs.js';
import { parseListen } from '../../lib/hotpath/exporter.js';
import { AF_INET, AF_INET6 } from '../../lib/uapi/linux.js';
import { parseMetrics as parse, samples as series } from '../helpers/prometheus.js';
import {
  IPVS_FAMILY_ID, SERVICE_REPLIES, DEST_REPLIES, LINK_STATS_REPLIES, PROC_IP_VS, PROC_IP_VS_STATS, IP_LINK_LO,
} from '../fixtures/stats-reader-kernel.js';

function load(r: ReplyBuffer, hex: string): number {
  const bytes = Buffer.from(hex, 'hex');
  r.u8.set(bytes, REPLY_HEADER);
  return REPLY_HEADER + bytes.length;
}

/** A reader's arrays filled from the captured replies, as one poll would fill them. */
function readerFromFixture(): StatsReader {
  const r = new ReplyBuffer(1 << 16);
  const services = new ServiceSlots(8, IPVS_FAMILY_ID);
  const destinations = new DestinationSlots(8);
  services.table.begin(true);
  destinations.table.begin(true);
  const slotOf = new Map<string, number>();
  let end = load(r, SERVICE_REPLIES);
  for (let p = REPLY_HEADER; p + 16 <= end; p += (r.msgLen(p) + 3) & ~3) {
    if (r.msgType(p) !== IPVS_FAMILY_ID) continue;
    const slot = services.read(r, p);
    const l = services.labels[slot]!;
    slotOf.set(l.fwmark !== undefined ? `fwmark ${l.fwmark}` : `${l.family === 6 ? `[${l.address}]` : l.address}:${l.port}/${l.protocol}`, slot);
  }
  for (const d of DEST_REPLIES) {
    end = load(r, d.hex);
    const slot = slotOf.get(d.service)!;
    for (let p = REPLY_HEADER; p + 16 <= end; p += (r.msgLen(p) + 3) & ~3) {
      if (r.msgType(p) === IPVS_FAMILY_ID) destinations.read(r, p, slot, d.family === 6 ? AF_INET6 : AF_INET);
    }
  }
  const links = new LinkSlots(['lo', 'gone0']);
  const requests = new RequestBuffer(128);
  links.assign([{ index: 1, name: 'lo' }, undefined], requests);
  links.number(requests, 7);
  links.read(r, load(r, LINK_STATS_REPLIES), REPLY_HEADER, 7);
  return { services, destinations, links } as unknown as StatsReader;
}

describe('metrics from netlink (the stats reader)', () => {
  const out = new MetricsText();
  declareSource(out, 'netlink');
  writeTotals(out, parseProcIpvsStats(PROC_IP_VS_STATS));
  writeReaderIpvs(out, readerFromFixture());
  writeLinks(out, readerFromFixture());
  const text = out.text();
  const families = parse(text);

  it('parse as the Prometheus text format, each family once with its type', () => {
    expect(new Set(families.map((f) => f.name)).size).toBe(families.length);
    for (const f of families) {
      expect(f.help).not.toBe('');
      expect(text).toContain(`# TYPE ${f.name} ${f.type.toLowerCase()}\n`);
    }
  });

  it("use node_exporter's ipvs names and labels for totals and per-backend gauges", () => {
    expect(series(families, 'node_ipvs_connections_total')).toEqual([{ value: 3, labels: {} }]);
    expect(series(families, 'node_ipvs_incoming_bytes_total')).toEqual([{ value: 102, labels: {} }]);
    const weights = series(families, 'node_ipvs_backend_weight');
    expect(weights).toContainEqual({
      value: 3,
      labels: { local_address: '198.51.100.1', local_port: '80', remote_address: '192.0.2.10', remote_port: '80', proto: 'TCP', local_mark: '' },
    });
    expect(weights).toContainEqual({
      value: 5,
      labels: { local_address: '2001:db8::1', local_port: '53', remote_address: '2001:db8::20', remote_port: '53', proto: 'UDP', local_mark: '' },
    });
    // A firewall-mark service: no address, mark as /proc prints it (%08X), as node_exporter labels it.
    expect(weights).toContainEqual({
      value: 1,
      labels: { local_address: '', local_port: '0', remote_address: '192.0.2.30', remote_port: '0', proto: 'FWM', local_mark: '00000007' },
    });
    expect(series(families, 'node_ipvs_backend_connections_active')).toHaveLength(5);
    expect(series(families, 'node_ipvs_backend_connections_inactive')).toHaveLength(5);
  });

  it('add per-service and per-backend traffic under nl_lvs_*', () => {
    const udp = { local_address: '198.51.100.3', local_port: '53', local_mark: '', proto: 'UDP' };
    expect(series(families, 'nl_lvs_ipvs_service_connections_total')).toContainEqual({ value: 3, labels: udp });
    expect(series(families, 'nl_lvs_ipvs_service_incoming_bytes_total')).toContainEqual({ value: 102, labels: udp });
    expect(series(families, 'nl_lvs_ipvs_service_outgoing_packets_total')).toContainEqual({ value: 0, labels: udp });
    expect(series(families, 'nl_lvs_ipvs_service_connections_total')).toHaveLength(4);
    expect(series(families, 'nl_lvs_ipvs_backend_incoming_packets_total')).toContainEqual({
      value: 3,
      labels: { ...udp, remote_address: '192.0.2.20', remote_port: '53' },
    });
  });

  it("publish link stats64 under node_exporter's netdev names, the rest as nl_lvs_link_*", () => {
    const lo = JSON.parse(IP_LINK_LO)[0].stats64;
    expect(series(families, 'node_network_receive_bytes_total')).toEqual([{ value: lo.rx.bytes, labels: { device: 'lo' } }]);
    expect(series(families, 'node_network_transmit_packets_total')).toEqual([{ value: lo.tx.packets, labels: { device: 'lo' } }]);
    expect(series(families, 'nl_lvs_link_rx_crc_errors_total')).toEqual([{ value: 0, labels: { device: 'lo' } }]);
    expect(series(families, 'nl_lvs_link_up')).toEqual([
      { value: 1, labels: { device: 'lo' } },
      { value: 0, labels: { device: 'gone0' } },
    ]);
  });

  it('say where IPVS came from', () => {
    expect(series(families, 'nl_lvs_ipvs_source')).toEqual([
      { value: 1, labels: { source: 'netlink' } },
      { value: 0, labels: { source: 'proc' } },
      { value: 0, labels: { source: 'none' } },
    ]);
  });
});

describe('metrics from /proc (no CAP_NET_ADMIN)', () => {
  const out = new MetricsText();
  declareSource(out, 'proc');
  writeTotals(out, parseProcIpvsStats(PROC_IP_VS_STATS));
  writeProcIpvs(out, parseProcIpvs(PROC_IP_VS));
  const families = parse(out.text());

  it('carry the same backend gauges as netlink does, and no per-service traffic', () => {
    const fromNetlink = new MetricsText();
    writeReaderIpvs(fromNetlink, readerFromFixture());
    const netlink = parse(fromNetlink.text());
    for (const name of ['node_ipvs_backend_weight', 'node_ipvs_backend_connections_active', 'node_ipvs_backend_connections_inactive']) {
      const sort = (s: ReturnType<typeof series>): string[] => s.map((x) => JSON.stringify(x)).sort();
      expect(sort(series(families, name))).toEqual(sort(series(netlink, name)));
    }
    expect(families.some((f) => f.name.startsWith('nl_lvs_ipvs_service_'))).toBe(false);
    expect(series(families, 'nl_lvs_ipvs_source')).toContainEqual({ value: 1, labels: { source: 'proc' } });
  });
});

describe('the text format writer', () => {
  it('escapes label values and sums samples whose labels are equal', () => {
    const out = new MetricsText().declare('x_total', 'counter', 'A line\nand a \\ backslash.');
    out.add('x_total', { path: 'C:\\dir "quoted"\nnext' }, 1n).add('x_total', { path: 'C:\\dir "quoted"\nnext' }, 2n);
    const [family] = parse(out.text());
    expect(family!.metrics).toEqual([{ value: '3', labels: { path: 'C:\\dir "quoted"\nnext' } }]);
    expect(out.text()).toContain('# HELP x_total A line\\nand a \\\\ backslash.\n');
  });

  it('parses --listen as host:port', () => {
    expect(parseListen('127.0.0.1:9749')).toEqual({ host: '127.0.0.1', port: 9749 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen(':9749')).toEqual({ host: '0.0.0.0', port: 9749 });
    expect(parseListen(9749)).toEqual({ host: '127.0.0.1', port: 9749 });
    expect(() => parseListen('localhost')).toThrow(/listen/);
    expect(() => parseListen('h:70000')).toThrow(/listen/);
  });
});
