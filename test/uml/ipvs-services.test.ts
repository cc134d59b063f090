// IPVS services and destinations on the UML kernel, with ipvsadm as the
// oracle both ways: what the library writes ipvsadm reads back as written,
// and what ipvsadm writes the library reads identically. Also: edits happen
// in place, kernel errors name the object, bad input never reaches the kernel.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { Ipvs, NetlinkError, ValidationError, SCHEDULERS, type ServiceKey, type Service, type Destination } from '../../lib/index.js';
import { makeNetns, nsExec, ipIn } from '../helpers/netns.js';

let ns: string;
let ipvs: Ipvs;

const adm = (...args: string[]): string => nsExec(ns, 'ipvsadm', ...args);
const lines = (text: string): string[] => text.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
const saved = (): string[] => lines(adm('-Sn')).sort();
/** `ipvsadm -Ln [...]` without its two header lines and the version banner. */
const listing = (...opts: string[]): string[] => lines(adm('-Ln', ...opts)).slice(3);

const TCP80: ServiceKey = { protocol: 'tcp', address: '198.51.100.1', port: 80 };

beforeAll(() => {
  ns = makeNetns('ipvs-svc');
  // Destinations must be routable unicast addresses: give the namespace a route to them.
  ipIn(ns, 'link', 'add', 'd0', 'type', 'dummy');
  ipIn(ns, 'link', 'set', 'd0', 'up');
  ipIn(ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'd0');
  ipIn(ns, 'addr', 'add', '2001:db8::1/64', 'dev', 'd0', 'nodad');
  ipvs = Ipvs.open({ netns: ns });
});

afterAll(() => ipvs?.close());

beforeEach(async () => {
  await ipvs.flush();
});

describe('what the library writes, ipvsadm reads as written', () => {
  it('services of each protocol, family and key kind', async () => {
    await ipvs.addService({ ...TCP80 });
    await ipvs.addService({ protocol: 'udp', address: '198.51.100.1', port: 53, scheduler: 'rr' });
    await ipvs.addService({ protocol: 'sctp', address: '198.51.100.1', port: 9, scheduler: 'rr' });
    await ipvs.addService({ protocol: 'tcp', address: '2001:db8::1', port: 443 });
    await ipvs.addService({ protocol: 'udp', address: '2001:db8:0:0::2', port: 53, scheduler: 'lc' });
    await ipvs.addService({ fwmark: 1 });
    await ipvs.addService({ fwmark: 2, family: 6, scheduler: 'sed' });
    expect(saved()).toEqual([
      '-A --sctp-service 198.51.100.1:9 -s rr',
      '-A -f 1 -s wlc',
      '-A -f 2 -6 -s sed',
      '-A -t 198.51.100.1:80 -s wlc',
      '-A -t [2001:db8::1]:443 -s wlc',
      '-A -u 198.51.100.1:53 -s rr',
      '-A -u [2001:db8::2]:53 -s lc',
    ]);
  });

  it('every scheduler', async () => {
    for (const [i, scheduler] of SCHEDULERS.entries()) await ipvs.addService({ protocol: 'tcp', address: '198.51.100.2', port: 1000 + i, scheduler });
    expect(saved()).toEqual(SCHEDULERS.map((s, i) => `-A -t 198.51.100.2:${1000 + i} -s ${s}`).sort());
    const read = await ipvs.listServices();
    expect(read.map((s) => [s.port, s.scheduler]).sort()).toEqual(SCHEDULERS.map((s, i) => [1000 + i, s]).sort());
  });

  it('persistence, netmask and prefix, one-packet, persistence engine, sh and mh flags', async () => {
    await ipvs.addService({ protocol: 'tcp', address: '198.51.100.2', port: 80, scheduler: 'sh', persistent: 60, netmask: '255.255.255.0', flags: { shFallback: true, shPort: true } });
    await ipvs.addService({ protocol: 'udp', address: '198.51.100.2', port: 53, scheduler: 'rr', persistent: 360, pe: 'sip', flags: { onePacket: true } });
    await ipvs.addService({ fwmark: 3, family: 6, scheduler: 'mh', persistent: 100, netmask: 64, flags: { mhFallback: true, mhPort: true } });
    await ipvs.addService({ protocol: 'tcp', address: '2001:db8::3', port: 80, persistent: 30, netmask: 48 });
    await ipvs.addService({ protocol: 'tcp', address: '198.51.100.3', port: 80, persistent: 30, netmask: 16 });
    await ipvs.addService({ protocol: 'udp', address: '198.51.100.3', port: 53, scheduler: 'sh', flags: { shPort: true } });
    expect(saved()).toEqual([
      '-A -f 3 -6 -s mh -p 100 -M 64 -b mh-fallback,mh-port',
      '-A -t 198.51.100.2:80 -s sh -p 60 -M 255.255.255.0 -b sh-fallback,sh-port',
      '-A -t 198.51.100.3:80 -s wlc -p 30 -M 255.255.0.0',
      '-A -t [2001:db8::3]:80 -s wlc -p 30 -M 48',
      '-A -u 198.51.100.2:53 -s rr -p 360 --pe sip -o',
      '-A -u 198.51.100.3:53 -s sh -b sh-port',
    ]);
    expect(listing()).toContain('TCP  198.51.100.2:80 sh (sh-fallback,sh-port) persistent 60 mask 255.255.255.0');
    expect(listing()).toContain('UDP  198.51.100.2:53 rr persistent 360 pe sip ops');
  });

  it('every forwarding method, tunnel types with port and checksum, weights (0 too), thresholds, an IPv6 server in an IPv4 service', async () => {
    await ipvs.addService({ ...TCP80, scheduler: 'rr' });
    const add = (d: Parameters<Ipvs['addDestination']>[1]): Promise<void> => ipvs.addDestination(TCP80, d);
    await add({ address: '192.0.2.10' });
    await add({ address: '192.0.2.11', port: 8080, forward: 'masq', weight: 0 });
    await add({ address: '192.0.2.12', forward: 'tunnel' });
    await add({ address: '192.0.2.13', forward: 'tunnel', weight: 5, tunnel: { type: 'gue', port: 6080, checksum: 'csum' } });
    await add({ address: '192.0.2.14', forward: 'tunnel', tunnel: { type: 'gue', port: 6081, checksum: 'remcsum' } });
    await add({ address: '192.0.2.15', forward: 'tunnel', tunnel: { type: 'gue', port: 6082 } });
    await add({ address: '192.0.2.16', forward: 'tunnel', tunnel: { type: 'gre', checksum: 'csum' } });
    await add({ address: '192.0.2.17', forward: 'tunnel', tunnel: { type: 'gre' } });
    await add({ address: '192.0.2.18', forward: 'local' });
    await add({ address: '192.0.2.19', weight: 2147483647, upperThreshold: 1000, lowerThreshold: 10 });
    await add({ address: '192.0.2.20', forward: 'masq', upperThreshold: 7 });
    await add({ address: '2001:db8::20', forward: 'tunnel' });
    const S = '-a -t 198.51.100.1:80 -r';
    expect(saved()).toEqual([
      '-A -t 198.51.100.1:80 -s rr',
      `${S} 192.0.2.10:80 -g -w 1`,
      `${S} 192.0.2.11:8080 -m -w 0`,
      `${S} 192.0.2.12:80 -i -w 1 --tun-type ipip`,
      `${S} 192.0.2.13:80 -i -w 5 --tun-type gue --tun-port 6080 --tun-csum`,
      `${S} 192.0.2.14:80 -i -w 1 --tun-type gue --tun-port 6081 --tun-remcsum`,
      `${S} 192.0.2.15:80 -i -w 1 --tun-type gue --tun-port 6082 --tun-nocsum`,
      `${S} 192.0.2.16:80 -i -w 1 --tun-type gre --tun-csum`,
      `${S} 192.0.2.17:80 -i -w 1 --tun-type gre --tun-nocsum`,
      // ipvsadm -S prints local forwarding as -g; -L below tells them apart.
      `${S} 192.0.2.18:80 -g -w 1`,
      `${S} 192.0.2.19:80 -g -w 2147483647`,
      `${S} 192.0.2.20:80 -m -w 1`,
      `${S} [2001:db8::20]:80 -i -w 1 --tun-type ipip`,
    ].sort());
    const l = listing();
    expect(l).toContain('  -> 192.0.2.18:80                Local   1      0          0');
    const th = listing('--thresholds');
    expect(th).toContain('  -> 192.0.2.19:80                1000       10         0          0');
    expect(th).toContain('  -> 192.0.2.20:80                7          0          0          0');
    const tun = listing('--tun-info');
    expect(tun).toContain('  -> 192.0.2.13:80                Tunnel  gue:6080:+c   5      0          0');
    expect(tun).toContain('  -> 192.0.2.14:80                Tunnel  gue:6081:r+c  1      0          0');
    expect(tun).toContain('  -> 192.0.2.16:80                Tunnel  gre:+c        1      0          0');
    expect(listing('--persistent-conn')).toContain('  -> 192.0.2.11:8080              0         0           0          0');
  });

  it('fwmark services: destinations default to port 0, or take one', async () => {
    await ipvs.addService({ fwmark: 9, persistent: 30, netmask: 24 });
    await ipvs.addDestination({ fwmark: 9 }, { address: '192.0.2.14' });
    await ipvs.addDestination({ fwmark: 9 }, { address: '192.0.2.15', port: 443, forward: 'masq' });
    expect(saved()).toEqual(['-A -f 9 -s wlc -p 30 -M 255.255.255.0', '-a -f 9 -r 192.0.2.14:0 -g -w 1', '-a -f 9 -r 192.0.2.15:443 -m -w 1']);
  });
});

describe('what ipvsadm writes, the library reads identically', () => {
  const setup = [
    '-A -t 198.51.100.1:80 -s sh -b sh-fallback,sh-port -p 60 -M 255.255.255.0',
    '-a -t 198.51.100.1:80 -r 192.0.2.10:80 -i --tun-type gue --tun-port 6080 --tun-remcsum -w 3 -x 10 -y 5',
    '-a -t 198.51.100.1:80 -r [2001:db8::10]:80 -i -w 2',
    '-a -t 198.51.100.1:80 -r 192.0.2.11:8080 -m -w 0',
    '-a -t 198.51.100.1:80 -r 192.0.2.12 -g -w 7',
    '-a -t 198.51.100.1:80 -r 192.0.2.13 -i --tun-type gre --tun-csum',
    '-a -t 198.51.100.1:80 -r 192.0.2.14 -i --tun-type gue --tun-port 5555 --tun-nocsum',
    '-A -u [2001:db8::1]:53 -s rr -p --pe sip -o',
    '-a -u [2001:db8::1]:53 -r [2001:db8::11]:5353 -m -x 100',
    '-A -f 5 -6 -s mh -b mh-fallback,mh-port -p 100 -M 64',
    '-A -f 6 -s dh',
    '-a -f 6 -r 192.0.2.16 -g',
    '-A --sctp-service 198.51.100.2:9 -s wrr',
    '-A -t 198.51.100.3:80 -s lblcr -p 5',
  ];

  it('services, destinations, tunnels, thresholds and flags match', async () => {
    for (const cmd of setup) adm(...cmd.split(' '));
    const snap = await ipvs.snapshot();
    const svc = (pred: (s: Service) => boolean) => snap.find(pred)!;
    expect(snap).toHaveLength(6);

    const tcp = svc((s) => s.protocol === 'tcp' && s.port === 80 && s.address === '198.51.100.1');
    expect(tcp).toMatchObject({ family: 4, scheduler: 'sh', persistent: 60, netmask: '255.255.255.0', flags: { shFallback: true, shPort: true, onePacket: false } });
    const d = (a: string): Destination => tcp.destinations.find((x) => x.address === a)!;
    expect(tcp.destinations).toHaveLength(6);
    expect(d('192.0.2.10')).toMatchObject({ port: 80, forward: 'tunnel', weight: 3, upperThreshold: 10, lowerThreshold: 5, tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } });
    expect(d('2001:db8::10')).toMatchObject({ family: 6, port: 80, forward: 'tunnel', weight: 2, tunnel: { type: 'ipip', port: 0, checksum: 'none' } });
    expect(d('192.0.2.11')).toMatchObject({ port: 8080, forward: 'masq', weight: 0 });
    expect(d('192.0.2.12')).toMatchObject({ port: 80, forward: 'route', weight: 7 });
    expect(d('192.0.2.13')).toMatchObject({ forward: 'tunnel', weight: 1, tunnel: { type: 'gre', port: 0, checksum: 'csum' } });
    expect(d('192.0.2.14')).toMatchObject({ tunnel: { type: 'gue', port: 5555, checksum: 'none' } });

    const udp6 = svc((s) => s.protocol === 'udp');
    // ipvsadm's default persistence for -p without a value is 360 s.
    expect(udp6).toMatchObject({ address: '2001:db8::1', family: 6, port: 53, scheduler: 'rr', persistent: 360, netmask: 128, pe: 'sip', flags: { onePacket: true } });
    expect(udp6.destinations).toEqual([expect.objectContaining({ address: '2001:db8::11', port: 5353, forward: 'masq', upperThreshold: 100, lowerThreshold: 0 })]);

    expect(svc((s) => s.fwmark === 5)).toMatchObject({ family: 6, scheduler: 'mh', persistent: 100, netmask: 64, flags: { mhFallback: true, mhPort: true } });
    const fw6 = svc((s) => s.fwmark === 6);
    expect(fw6).toMatchObject({ family: 4, scheduler: 'dh', persistent: 0 });
    expect(fw6.destinations).toEqual([expect.objectContaining({ address: '192.0.2.16', port: 0, forward: 'route' })]);
    expect(svc((s) => s.protocol === 'sctp')).toMatchObject({ address: '198.51.100.2', port: 9, scheduler: 'wrr' });
    expect(svc((s) => s.port === 80 && s.address === '198.51.100.3')).toMatchObject({ scheduler: 'lblcr', persistent: 5 });
    // Services without destinations, between ones with them, get an empty list each.
    for (const s of snap.filter((x) => x.fwmark === 5 || x.protocol === 'sctp' || x.address === '198.51.100.3')) expect(s.destinations).toEqual([]);

    // One by one, the same as the snapshot.
    expect(await ipvs.getService(TCP80)).toEqual(expect.objectContaining({ scheduler: 'sh', persistent: 60 }));
    expect((await ipvs.listDestinations(TCP80)).map((x) => x.address).sort()).toEqual(tcp.destinations.map((x) => x.address).sort());
    expect((await ipvs.listServices()).length).toBe(6);
  });

  it('the library re-creates an ipvsadm state from what it read (ipvsadm -Sn identical)', async () => {
    for (const cmd of setup) adm(...cmd.split(' '));
    const before = saved();
    const snap = await ipvs.snapshot();
    await ipvs.flush();
    expect(saved()).toEqual([]);
    for (const s of snap) {
      const key: ServiceKey = s.fwmark !== undefined ? { fwmark: s.fwmark, family: s.family } : { protocol: s.protocol!, address: s.address!, port: s.port! };
      await ipvs.addService({ ...key, scheduler: s.scheduler, persistent: s.persistent, netmask: s.netmask, flags: s.flags, pe: s.pe });
      for (const d of s.destinations) {
        await ipvs.addDestination(key, { address: d.address, port: d.port, forward: d.forward, weight: d.weight, upperThreshold: d.upperThreshold, lowerThreshold: d.lowerThreshold, tunnel: d.tunnel });
      }
    }
    expect(saved()).toEqual(before);
  });
});

/** Sends `n` UDP datagrams to 198.51.100.9:53 from inside the namespace (the VIP is local, so IPVS sees them at LOCAL_OUT). */
function sendUdp(n: number): void {
  nsExec(ns, 'bash', '-c', `for i in $(seq ${n}); do echo hello > /dev/udp/198.51.100.9/53; done`);
}

async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('edits are made in place', () => {
  const VIP: ServiceKey = { protocol: 'udp', address: '198.51.100.9', port: 53 };

  beforeEach(async () => {
    try {
      ipIn(ns, 'addr', 'add', '198.51.100.9/32', 'dev', 'lo');
    } catch {
      // already there
    }
    await ipvs.addService({ ...VIP, scheduler: 'rr' });
    await ipvs.addDestination(VIP, { address: '192.0.2.30', weight: 1 });
    await ipvs.addDestination(VIP, { address: '192.0.2.31', weight: 1 });
    sendUdp(4);
    // The kernel folds per-CPU counters into the totals every 2 s.
    await waitFor(() => ipvs.getService(VIP), (s) => s.stats.connections >= 4n, 'service counters');
  });

  it('editService changes only what it is given; counters and destinations stay', async () => {
    const before = listing();
    await ipvs.editService({ ...VIP, scheduler: 'wrr', persistent: 20 });
    const after = listing();
    expect(after[0]).toBe('UDP  198.51.100.9:53 wrr persistent 20');
    expect(after.slice(1)).toEqual(before.slice(1));
    const s = await ipvs.getService(VIP);
    expect(s.stats.connections).toBeGreaterThanOrEqual(4n);
    expect(s).toMatchObject({ scheduler: 'wrr', persistent: 20, netmask: '255.255.255.255' });
    // A second edit that names nothing else keeps the first edit's fields.
    await ipvs.editService({ ...VIP, flags: { onePacket: true } });
    expect(listing()[0]).toBe('UDP  198.51.100.9:53 wrr persistent 20 ops');
  });

  it('editDestination changes only what it is given; counters and connections stay', async () => {
    const before = listing();
    const [d30] = (await ipvs.listDestinations(VIP)).filter((d) => d.address === '192.0.2.30');
    expect(d30!.stats.connections).toBeGreaterThan(0n);
    await ipvs.editDestination(VIP, { address: '192.0.2.30', weight: 0 });
    const after = listing();
    const changed = after.filter((l, i) => l !== before[i]);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatch(/^ {2}-> 192\.0\.2\.30:53 +Route +0 +0 +\d+ *$/);
    // Same InActConn as before: the connections still point at this destination.
    expect(changed[0]!.split(/ +/).at(-1)).toBe(before.find((l) => l.includes('192.0.2.30'))!.split(/ +/).at(-1));
    const [again] = (await ipvs.listDestinations(VIP)).filter((d) => d.address === '192.0.2.30');
    expect(again!.stats.connections).toBe(d30!.stats.connections);
    await ipvs.editDestination(VIP, { address: '192.0.2.30', upperThreshold: 50 });
    expect(listing('--thresholds').find((l) => l.includes('192.0.2.30'))).toMatch(/-> 192\.0\.2\.30:53 +50 +0 /);
    expect(listing().find((l) => l.includes('192.0.2.30'))).toMatch(/Route +0 /);
  });
});

describe('kernel errors name the operation and the object', () => {
  async function rejects(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect((err as NetlinkError).code).toBe(code);
    expect((err as NetlinkError).message).toMatch(message);
  }

  it('services', async () => {
    await ipvs.addService({ ...TCP80 });
    await rejects(ipvs.addService({ ...TCP80 }), 'EEXIST', /^add service 198\.51\.100\.1:80\/tcp: service 198\.51\.100\.1:80\/tcp already exists \(EEXIST\)$/);
    const missing = { ...TCP80, port: 81 };
    await rejects(ipvs.getService(missing), 'ESRCH', /no such service 198\.51\.100\.1:81\/tcp \(ESRCH\)$/);
    await rejects(ipvs.editService({ ...missing, scheduler: 'rr' }), 'ESRCH', /no such service 198\.51\.100\.1:81\/tcp/);
    await rejects(ipvs.deleteService(missing), 'ESRCH', /^delete service 198\.51\.100\.1:81\/tcp: no such service/);
    await rejects(ipvs.zero(missing), 'ESRCH', /no such service/);
    await rejects(ipvs.listDestinations(missing), 'ESRCH', /no such service/);
    await rejects(ipvs.getService({ fwmark: 77, family: 6 }), 'ESRCH', /no such service fwmark 77 \(IPv6\)/);
    await rejects(ipvs.addService({ ...missing, scheduler: 'nosuch' }, { allowUnknownScheduler: true }), 'ENOENT', /scheduler "nosuch" not found/);
  });

  it('destinations', async () => {
    await ipvs.addService({ ...TCP80 });
    await ipvs.addDestination(TCP80, { address: '192.0.2.10' });
    await rejects(ipvs.addDestination(TCP80, { address: '192.0.2.10' }), 'EEXIST', /destination 192\.0\.2\.10:80 already exists in service 198\.51\.100\.1:80\/tcp \(EEXIST\)$/);
    await rejects(ipvs.editDestination(TCP80, { address: '192.0.2.99', weight: 3 }), 'ENOENT', /no such destination 192\.0\.2\.99:80 in service 198\.51\.100\.1:80\/tcp \(ENOENT\)$/);
    await rejects(ipvs.deleteDestination(TCP80, { address: '192.0.2.99' }), 'ENOENT', /^delete destination 192\.0\.2\.99:80 from service .*: no such destination/);
    await rejects(ipvs.addDestination({ ...TCP80, port: 81 }, { address: '192.0.2.10' }), 'ESRCH', /no such service 198\.51\.100\.1:81\/tcp/);
    await rejects(ipvs.editDestination({ ...TCP80, port: 81 }, { address: '192.0.2.10', weight: 2 }), 'ESRCH', /no such service/);
    await ipvs.deleteDestination(TCP80, { address: '192.0.2.10', port: 80 });
    await ipvs.deleteService(TCP80);
    expect(saved()).toEqual([]);
  });
});

describe('bad input is refused before the kernel sees it', () => {
  it('every listed bad input throws a ValidationError naming the field, and ipvsadm sees no change', async () => {
    await ipvs.addService({ ...TCP80 });
    await ipvs.addDestination(TCP80, { address: '192.0.2.10', upperThreshold: 10, lowerThreshold: 5 });
    const before = saved();
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['service.address', () => ipvs.addService({ protocol: 'tcp', address: '198.51.100.256', port: 80 })],
      ['service.port', () => ipvs.addService({ protocol: 'tcp', address: '198.51.100.5', port: 0 })],
      ['service.scheduler', () => ipvs.addService({ protocol: 'tcp', address: '198.51.100.5', port: 80, scheduler: 'bogus' })],
      ['service.netmask', () => ipvs.addService({ protocol: 'tcp', address: '2001:db8::5', port: 80, netmask: 129 })],
      ['service.netmask', () => ipvs.addService({ protocol: 'tcp', address: '198.51.100.5', port: 80, netmask: '255.0.255.0' })],
      ['service.fwmark', () => ipvs.addService({ fwmark: 0 })],
      ['service.protocol', () => ipvs.addService({ protocol: 'icmp' as 'tcp', address: '198.51.100.5', port: 80 })],
      ['service.pe', () => ipvs.addService({ ...TCP80, port: 81, pe: 'x'.repeat(20) })],
      ['destination.address', () => ipvs.addDestination(TCP80, { address: '192.0.2' })],
      ['destination.forward', () => ipvs.addDestination(TCP80, { address: '192.0.2.11', forward: 'nat' as 'masq' })],
      ['destination.weight', () => ipvs.addDestination(TCP80, { address: '192.0.2.11', weight: 2147483648 })],
      ['destination.weight', () => ipvs.addDestination(TCP80, { address: '192.0.2.11', weight: -1 })],
      ['destination.lowerThreshold', () => ipvs.addDestination(TCP80, { address: '192.0.2.11', upperThreshold: 5, lowerThreshold: 6 })],
      // Merged with the current thresholds (10/5) before anything is sent.
      ['destination.upperThreshold', () => ipvs.editDestination(TCP80, { address: '192.0.2.10', upperThreshold: 4 })],
      ['destination.tunnel.port', () => ipvs.addDestination(TCP80, { address: '192.0.2.11', forward: 'tunnel', tunnel: { type: 'gue' } })],
      ['service.scheduler', () => ipvs.editService({ ...TCP80, scheduler: 'nope' })],
      ['ops[2].destination.weight', () => ipvs.batch([
        { op: 'addService', service: { ...TCP80, port: 82 } },
        { op: 'addDestination', service: { ...TCP80, port: 82 }, destination: { address: '192.0.2.12' } },
        { op: 'addDestination', service: { ...TCP80, port: 82 }, destination: { address: '192.0.2.13', weight: 1.5 } },
      ])],
    ];
    for (const [field, call] of cases) {
      const err = await call().then(() => undefined, (e: unknown) => e);
      expect(err, field).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
    }
    expect(saved()).toEqual(before);
  });
});
