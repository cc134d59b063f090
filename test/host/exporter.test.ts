// The exporter on the host kernel, which has no IPVS: it serves link metrics
// and says IPVS is unavailable, scraped over loopback and parsed with a real
// Prometheus text-format parser; values match the stats reader and `ip -s`.
// Also the `nl-lvs exporter` command, run in-process.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createExporter, type Exporter } from '../../lib/hotpath/exporter.js';
import { StatsReader } from '../../lib/hotpath/stats-reader.js';
import { LINK_COUNTERS, LINK_STRIDE } from '../../lib/hotpath/link-slots.js';
import { main } from '../../lib/cli/nl-lvs/main.js';
import { makeNetns, ipIn, ipJson, nsExec } from '../helpers/netns.js';
import { parseMetrics as parse, samples, type MetricFamily as Family } from '../helpers/prometheus.js';

let ns: string;
let peer: string;
let exporter: Exporter;

/** The value of one series, or undefined. */
function value(families: Family[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples(families, name).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function scrape(url: string): Promise<Family[]> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parse(await res.text());
}

beforeAll(async () => {
  ns = makeNetns('exporter');
  peer = makeNetns('exporter-peer');
  // No IPv6: its autoconfiguration would send packets at moments of its choosing.
  for (const n of [ns, peer]) nsExec(n, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
  ipIn(ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', peer);
  ipIn(ns, 'link', 'set', 'va', 'up');
  ipIn(peer, 'link', 'set', 'vb', 'up');
  ipIn(ns, 'addr', 'add', '198.51.100.1/24', 'dev', 'va');
  ipIn(peer, 'addr', 'add', '198.51.100.2/24', 'dev', 'vb');
  exporter = await createExporter({ netns: ns, links: ['lo', 'va', 'absent0'], listen: '127.0.0.1:0' });
});

afterAll(async () => {
  await exporter?.close();
});

describe('exporter without IPVS (host kernel)', () => {
  it('serves link metrics and reports IPVS as unavailable', async () => {
    expect(exporter.source).toBe('none');
    expect(exporter.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const families = await scrape(exporter.url!);
    expect(value(families, 'nl_lvs_ipvs_source', { source: 'none' })).toBe(1);
    expect(value(families, 'nl_lvs_ipvs_source', { source: 'netlink' })).toBe(0);
    expect(value(families, 'nl_lvs_ipvs_source', { source: 'proc' })).toBe(0);
    expect(families.some((f) => f.name.startsWith('node_ipvs_'))).toBe(false);
    expect(value(families, 'nl_lvs_link_up', { device: 'va' })).toBe(1);
    expect(value(families, 'nl_lvs_link_up', { device: 'absent0' })).toBe(0);
    expect(value(families, 'node_network_receive_bytes_total', { device: 'absent0' })).toBeUndefined();
    // Every family once, each with HELP and TYPE.
    expect(new Set(families.map((f) => f.name)).size).toBe(families.length);
    for (const f of families) expect(['counter', 'gauge']).toContain(f.type.toLowerCase());
  });

  it('link counters move with traffic and match the stats reader and `ip -s link`', async () => {
    nsExec(ns, 'ping', '-c', '3', '-i', '0.2', '198.51.100.2');
    const families = await scrape(exporter.url!);
    const reader = await StatsReader.open({ netns: ns, links: ['va', 'lo'] });
    try {
      reader.pollSync();
      const ip = ipJson<Array<{ stats64: { rx: { bytes: number; packets: number }; tx: { bytes: number; packets: number } } }>>(ns, '-s', 'link', 'show', 'va')[0]!.stats64;
      const field = (i: number, name: (typeof LINK_COUNTERS)[number]): number => Number(reader.links.counters[i * LINK_STRIDE + LINK_COUNTERS.indexOf(name)]);
      // Nothing moves on va while idle: the three sources agree exactly.
      expect(value(families, 'node_network_transmit_packets_total', { device: 'va' })).toBe(field(0, 'tx_packets'));
      expect(value(families, 'node_network_transmit_bytes_total', { device: 'va' })).toBe(field(0, 'tx_bytes'));
      expect(value(families, 'node_network_receive_packets_total', { device: 'va' })).toBe(field(0, 'rx_packets'));
      expect(field(0, 'tx_packets')).toBe(ip.tx.packets);
      expect(field(0, 'rx_bytes')).toBe(ip.rx.bytes);
      expect(field(0, 'tx_packets')).toBeGreaterThanOrEqual(3);
      expect(value(families, 'nl_lvs_link_rx_otherhost_dropped_total', { device: 'va' })).toBe(field(0, 'rx_otherhost_dropped'));
      expect(value(families, 'node_network_receive_drop_total', { device: 'lo' })).toBe(field(1, 'rx_dropped') + field(1, 'rx_missed_errors'));
    } finally {
      reader.close();
    }
  });

  it('answers 404 off the metrics path and shares one poll between concurrent scrapes', async () => {
    const base = exporter.url!.replace(/\/metrics$/, '');
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect((await fetch(`${base}/`)).status).toBe(200);
    const [a, b] = await Promise.all([exporter.scrape(), exporter.scrape()]);
    expect(a).toBe(b);
  });

  it('picks a link up again once it exists', async () => {
    ipIn(ns, 'link', 'add', 'absent0', 'type', 'veth', 'peer', 'name', 'absent1');
    const families = parse(await exporter.scrape());
    expect(value(families, 'nl_lvs_link_up', { device: 'absent0' })).toBe(1);
    expect(value(families, 'node_network_receive_bytes_total', { device: 'absent0' })).toBe(0);
  });
});

describe('nl-lvs exporter (the command, in-process)', () => {
  it('serves until its signal aborts, then exits 0', async () => {
    const stop = new AbortController();
    let out = '';
    let err = '';
    const running = main(['exporter', '--listen', '127.0.0.1:0', '--netns', ns, '--links', 'va,lo'], {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => (err += t) },
      signal: stop.signal,
    });
    const deadline = Date.now() + 10_000;
    while (!out.includes('serving') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const url = /serving (\S+)/.exec(out)?.[1];
    expect(out).toMatch(/\(IPVS from none\)/);
    const families = await scrape(url!);
    expect(value(families, 'nl_lvs_link_up', { device: 'lo' })).toBe(1);
    stop.abort();
    expect(await running).toBe(0);
    expect(err).toBe('');
  });

  it('rejects bad options with usage text and exit status 2', async () => {
    let err = '';
    const io = { stdout: { write: () => true }, stderr: { write: (t: string) => (err += t) } };
    expect(await main(['exporter', '--listen', 'nonsense'], io)).toBe(2);
    expect(err).toMatch(/--listen/);
    expect(await main(['nosuch'], io)).toBe(2);
    expect(err).toMatch(/unknown command "nosuch"/);
  });
});
