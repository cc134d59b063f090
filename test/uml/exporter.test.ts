// The exporter on the UML kernel (IPVS), scraped over loopback and parsed with
// a real Prometheus text-format parser: values match the stats reader and
// ipvsadm. Then `nl-lvs exporter` (bin/nl-lvs.js, built in dist/) run without
// CAP_NET_ADMIN: it falls back to /proc/net/ip_vs and says so.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { Ipvs, type ServiceKey } from '../../lib/index.js';
import { createExporter, type Exporter } from '../../lib/hotpath/exporter.js';
import { StatsReader } from '../../lib/hotpath/stats-reader.js';
import { IPVS_STRIDE, DESTINATION_GAUGE_STRIDE } from '../../lib/hotpath/ipvs-slots.js';
import { makeNetns, ipIn, nsExec } from '../helpers/netns.js';
import { eventually } from '../helpers/lvs-topology.js';
import { parseMetrics as parse, samples, type MetricFamily as Family } from '../helpers/prometheus.js';

let ns: string;
let ipvs: Ipvs;
let exporter: Exporter;
const dns: ServiceKey = { protocol: 'udp', address: '198.51.100.9', port: 53 };
const mark: ServiceKey = { fwmark: 7 };

function series(families: Family[], name: string): Map<string, number> {
  return new Map(samples(families, name).map((s) => [JSON.stringify(s.labels), s.value]));
}

async function scrape(url: string): Promise<Family[]> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return parse(await res.text());
}

/** `ipvsadm -Ln --stats --exact` rows → five counters. */
function ipvsadmStats(): Map<string, number[]> {
  const rows = new Map<string, number[]>();
  for (const line of nsExec(ns, 'ipvsadm', '-Ln', '--stats', '--exact').split('\n').slice(3)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length === 7) rows.set(`${cols[0]} ${cols[1]}`, cols.slice(2).map(Number));
  }
  return rows;
}

beforeAll(async () => {
  ns = makeNetns('exporter');
  ipIn(ns, 'link', 'add', 'd0', 'type', 'dummy');
  ipIn(ns, 'link', 'set', 'd0', 'up');
  ipIn(ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'd0');
  ipIn(ns, 'addr', 'add', '198.51.100.9/32', 'dev', 'lo');
  ipvs = Ipvs.open({ netns: ns });
  await ipvs.batch([
    { op: 'addService', service: { ...dns, scheduler: 'rr' } },
    { op: 'addDestination', service: dns, destination: { address: '192.0.2.30', weight: 2 } },
    { op: 'addDestination', service: dns, destination: { address: '192.0.2.31', weight: 5 } },
    { op: 'addService', service: { ...mark, scheduler: 'wlc' } },
    { op: 'addDestination', service: mark, destination: { address: '192.0.2.40', port: 0 } },
  ]);
  nsExec(ns, 'bash', '-c', 'for i in 1 2 3 4 5; do echo hello > /dev/udp/198.51.100.9/53; done');
  // The kernel folds its per-CPU counters into what it reports every 2 s.
  await eventually(async () => expect((await ipvs.getService(dns)).stats.connections).toBe(5n));
  exporter = await createExporter({ netns: ns, links: ['lo', 'd0'], listen: '127.0.0.1:0' });
});

afterAll(async () => {
  await exporter?.close();
  ipvs?.close();
});

describe('exporter with IPVS over netlink', () => {
  it('serves node_exporter-compatible and nl_lvs_* metrics that match ipvsadm and the stats reader', async () => {
    expect(exporter.source).toBe('netlink');
    const families = await scrape(exporter.url!);
    expect(series(families, 'nl_lvs_ipvs_source').get('{"source":"netlink"}')).toBe(1);
    const oracle = ipvsadmStats();

    const udp = { local_address: '198.51.100.9', local_port: '53', local_mark: '', proto: 'UDP' };
    const [conns, inPkts, outPkts, inBytes, outBytes] = oracle.get('UDP 198.51.100.9:53')!;
    expect(series(families, 'nl_lvs_ipvs_service_connections_total').get(JSON.stringify(udp))).toBe(conns);
    expect(series(families, 'nl_lvs_ipvs_service_incoming_packets_total').get(JSON.stringify(udp))).toBe(inPkts);
    expect(series(families, 'nl_lvs_ipvs_service_outgoing_packets_total').get(JSON.stringify(udp))).toBe(outPkts);
    expect(series(families, 'nl_lvs_ipvs_service_incoming_bytes_total').get(JSON.stringify(udp))).toBe(inBytes);
    expect(series(families, 'nl_lvs_ipvs_service_outgoing_bytes_total').get(JSON.stringify(udp))).toBe(outBytes);
    expect(conns).toBe(5);
    // Namespace totals (node_exporter reads the same /proc/net/ip_vs_stats): all traffic went through this service.
    expect(series(families, 'node_ipvs_connections_total').get('{}')).toBe(5);
    expect(series(families, 'node_ipvs_incoming_bytes_total').get('{}')).toBe(inBytes);

    const backend = (address: string): string =>
      JSON.stringify({ local_address: '198.51.100.9', local_port: '53', remote_address: address, remote_port: '53', proto: 'UDP', local_mark: '' });
    expect(series(families, 'node_ipvs_backend_weight').get(backend('192.0.2.31'))).toBe(5);
    for (const address of ['192.0.2.30', '192.0.2.31']) {
      expect(series(families, 'nl_lvs_ipvs_backend_connections_total').get(backend(address))).toBe(oracle.get(`-> ${address}:53`)![0]);
      expect(series(families, 'node_ipvs_backend_connections_inactive').get(backend(address))).toBeGreaterThan(0);
    }
    const fwm = JSON.stringify({ local_address: '', local_port: '0', remote_address: '192.0.2.40', remote_port: '0', proto: 'FWM', local_mark: '00000007' });
    expect(series(families, 'node_ipvs_backend_weight').get(fwm)).toBe(1);
    expect(series(families, 'nl_lvs_link_up').get('{"device":"d0"}')).toBe(1);
  });

  it('publishes exactly what a stats reader polled at the same moment holds', async () => {
    const families = await scrape(exporter.url!);
    const reader = await StatsReader.open({ netns: ns });
    try {
      reader.pollSync();
      const s = reader.services!;
      const d = reader.destinations!;
      const connections = series(families, 'nl_lvs_ipvs_service_connections_total');
      const weights = series(families, 'node_ipvs_backend_weight');
      const active = series(families, 'node_ipvs_backend_connections_active');
      expect(connections.size).toBe(s.table.count);
      expect(weights.size).toBe(d.table.count);
      let backends = 0;
      for (let slot = 0; slot < d.table.highWater; slot++) {
        if (d.table.live[slot] !== 1) continue;
        const svc = s.labels[d.service[slot]!]!;
        const l = d.labels[slot]!;
        const key = JSON.stringify({
          local_address: svc.fwmark !== undefined ? '' : svc.address,
          local_port: String(svc.fwmark !== undefined ? 0 : svc.port),
          remote_address: l.address,
          remote_port: String(l.port),
          proto: svc.fwmark !== undefined ? 'FWM' : svc.protocol.toUpperCase(),
          local_mark: svc.fwmark !== undefined ? svc.fwmark.toString(16).toUpperCase().padStart(8, '0') : '',
        });
        expect(weights.get(key)).toBe(d.gauges[slot * DESTINATION_GAUGE_STRIDE]);
        expect(active.get(key)).toBe(d.gauges[slot * DESTINATION_GAUGE_STRIDE + 1]);
        expect(series(families, 'nl_lvs_ipvs_backend_incoming_packets_total').get(key)).toBe(Number(d.counters[slot * IPVS_STRIDE + 1]));
        backends++;
      }
      expect(backends).toBe(3);
    } finally {
      reader.close();
    }
  });
});

describe('nl-lvs exporter without CAP_NET_ADMIN', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves IPVS from /proc/net/ip_vs and says so', async () => {
    expect(existsSync('dist/cli/nl-lvs/main.js'), 'bin/nl-lvs.js runs the build: npm run build').toBe(true);
    child = spawn(
      'setpriv',
      ['--inh-caps=-net_admin', '--bounding-set=-net_admin', process.execPath, 'bin/nl-lvs.js', 'exporter', '--listen', '127.0.0.1:0', '--netns', ns, '--links', 'lo'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (err += d));
    await eventually(() => expect(out, err).toMatch(/serving \S+/), 60_000, 100);
    expect(out).toMatch(/\(IPVS from proc\)/);
    // It really runs without the capability (CAP_NET_ADMIN is bit 12).
    const capEff = /CapEff:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]!;
    expect(BigInt(`0x${capEff}`) & (1n << 12n)).toBe(0n);

    const proc = await scrape(/serving (\S+)/.exec(out)![1]!);
    const netlink = await scrape(exporter.url!);
    expect(series(proc, 'nl_lvs_ipvs_source').get('{"source":"proc"}')).toBe(1);
    expect(series(proc, 'nl_lvs_ipvs_source').get('{"source":"netlink"}')).toBe(0);
    for (const name of ['node_ipvs_backend_weight', 'node_ipvs_backend_connections_active', 'node_ipvs_backend_connections_inactive', 'node_ipvs_connections_total', 'node_ipvs_incoming_bytes_total']) {
      expect(series(proc, name), name).toEqual(series(netlink, name));
    }
    expect(proc.some((f) => f.name.startsWith('nl_lvs_ipvs_service_'))).toBe(false);
    expect(series(proc, 'nl_lvs_link_up').get('{"device":"lo"}')).toBe(1);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
