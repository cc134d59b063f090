#!/usr/bin/env node
// The LVS tutorial, done with nl-lvs instead of ipvsadm, ip and sysctl.
// Runs as root on a kernel with IPVS (`npm run demo` boots one in user-mode-linux).
//
// Sandbox (not library use): namespaces come from `ip netns add`, the real
// servers are one-line node HTTP servers, and the client is node's http,
// started in their namespaces with `ip netns exec`. Everything else — links,
// addresses, routes, sysctls, the virtual service, its real servers, the
// listing, the connection table and the stats — goes through the library.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Rtnl, Ipvs, Bridge, setSysctl } from 'nl-lvs';

const tag = randomBytes(2).toString('hex');
const ns = (role) => `lvs-${role}-${tag}`;
const made = [];
const children = [];
const nlIpvsadm = fileURLToPath(new URL('../bin/nl-ipvsadm.js', import.meta.url));

const step = (title) => console.log(`\n=== ${title} ===`);
const sandbox = (...args) => execFileSync('ip', args, { encoding: 'utf8' });

function netns(role) {
  const name = ns(role);
  sandbox('netns', 'add', name);
  made.push(name);
  return name;
}

/** A tiny HTTP server in `where` that answers with its name. */
function httpServer(where, name) {
  const code = `require('http').createServer((q, s) => { s.setHeader('connection', 'close'); s.end('${name}'); }).listen(80, () => console.log('up'))`;
  const child = spawn('ip', ['netns', 'exec', where, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve) => child.stdout.once('data', resolve));
}

/** `count` HTTP GETs from the client namespace; returns who answered each. */
function httpGets(where, url, count) {
  const code = `(async () => { const http = require('http'); for (let i = 0; i < ${count}; i++) {
    const body = await new Promise((ok) => http.get('${url}', { agent: false }, (r) => { let b = ''; r.on('data', (d) => b += d); r.on('end', () => ok(b)); }).on('error', (e) => ok('error: ' + e.code)));
    console.log(body); } })()`;
  return execFileSync('ip', ['netns', 'exec', where, process.execPath, '-e', code], { encoding: 'utf8' }).trim().split('\n');
}

/** Everything on one handle per namespace. */
async function up(rtnl, names) {
  for (const name of names) await rtnl.links.set(name, { up: true });
}

async function natTutorial() {
  step('NAT (ipvsadm -m): the real servers route back through the director');
  const [client, director, rs1, rs2] = ['nat-client', 'nat-director', 'nat-rs1', 'nat-rs2'].map(netns);
  const d = Rtnl.open({ netns: director });
  // Client side: 198.51.100.0/24, VIP 198.51.100.100. Server side: a bridge with 192.0.2.0/24.
  await d.links.create({ kind: 'veth', name: 'to-client', peer: { name: 'eth0', netns: client } });
  await d.links.create({ kind: 'bridge', name: 'lan0' });
  for (const [rs, port] of [[rs1, 'to-rs1'], [rs2, 'to-rs2']]) {
    await d.links.create({ kind: 'veth', name: port, peer: { name: 'eth0', netns: rs } });
    await Bridge.addPort(d, 'lan0', port);
  }
  await up(d, ['lo', 'to-client', 'lan0', 'to-rs1', 'to-rs2']);
  await d.addresses.add({ dev: 'to-client', address: '198.51.100.1/24' });
  await d.addresses.add({ dev: 'to-client', address: '198.51.100.100/32' });
  await d.addresses.add({ dev: 'lan0', address: '192.0.2.1/24' });
  setSysctl('net.ipv4.ip_forward', 1, { netns: director });
  const hosts = [[client, '198.51.100.2/24', '198.51.100.1'], [rs1, '192.0.2.11/24', '192.0.2.1'], [rs2, '192.0.2.12/24', '192.0.2.1']];
  for (const [where, address, gateway] of hosts) {
    const r = Rtnl.open({ netns: where });
    await up(r, ['lo', 'eth0']);
    await r.addresses.add({ dev: 'eth0', address });
    await r.routes.add({ dst: 'default', gateway });
    r.close();
  }
  d.close();
  await Promise.all([httpServer(rs1, 'real server 1 (192.0.2.11)'), httpServer(rs2, 'real server 2 (192.0.2.12)')]);

  // ipvsadm -A -t 198.51.100.100:80 -s rr; ipvsadm -a -t ... -r 192.0.2.11:80 -m (and .12)
  const ipvs = Ipvs.open({ netns: director });
  const web = { protocol: 'tcp', address: '198.51.100.100', port: 80 };
  await ipvs.batch([
    { op: 'addService', service: { ...web, scheduler: 'rr' } },
    { op: 'addDestination', service: web, destination: { address: '192.0.2.11', port: 80, forward: 'masq' } },
    { op: 'addDestination', service: web, destination: { address: '192.0.2.12', port: 80, forward: 'masq' } },
  ]);
  await show(ipvs, director, client, 'http://198.51.100.100/');
  ipvs.close();
}

async function drTutorial() {
  step('DR (ipvsadm -g): the VIP on each real server\'s loopback, replies go straight to the client');
  const [client, director, rs1, rs2] = ['dr-client', 'dr-director', 'dr-rs1', 'dr-rs2'].map(netns);
  // One L2 segment: a bridge in the director's namespace with a veth to everyone.
  const d = Rtnl.open({ netns: director });
  await d.links.create({ kind: 'bridge', name: 'seg0' });
  for (const [where, port] of [[client, 'to-client'], [rs1, 'to-rs1'], [rs2, 'to-rs2']]) {
    await d.links.create({ kind: 'veth', name: port, peer: { name: 'eth0', netns: where } });
    await Bridge.addPort(d, 'seg0', port);
  }
  await up(d, ['lo', 'seg0', 'to-client', 'to-rs1', 'to-rs2']);
  await d.addresses.add({ dev: 'seg0', address: '198.51.100.1/24' });
  await d.addresses.add({ dev: 'seg0', address: '198.51.100.100/32' });
  d.close();
  for (const [where, address] of [[client, '198.51.100.2/24'], [rs1, '198.51.100.11/24'], [rs2, '198.51.100.12/24']]) {
    const r = Rtnl.open({ netns: where });
    await up(r, ['lo', 'eth0']);
    await r.addresses.add({ dev: 'eth0', address });
    if (where !== client) {
      // The VIP on loopback, hidden from ARP: only the director answers for it.
      await r.addresses.add({ dev: 'lo', address: '198.51.100.100/32' });
      setSysctl('net.ipv4.conf.all.arp_ignore', 1, { netns: where });
      setSysctl('net.ipv4.conf.all.arp_announce', 2, { netns: where });
    }
    r.close();
  }
  await Promise.all([httpServer(rs1, 'real server 1 (198.51.100.11)'), httpServer(rs2, 'real server 2 (198.51.100.12)')]);
  const ipvs = Ipvs.open({ netns: director });
  const web = { protocol: 'tcp', address: '198.51.100.100', port: 80 };
  await ipvs.addService({ ...web, scheduler: 'rr' });
  await ipvs.addDestination(web, { address: '198.51.100.11', forward: 'route' });
  await ipvs.addDestination(web, { address: '198.51.100.12', forward: 'route' });
  await show(ipvs, director, client, 'http://198.51.100.100/');
  ipvs.close();
}

async function show(ipvs, director, client, url) {
  console.log('\n$ nl-ipvsadm -Ln     (the drop-in ipvsadm, on nl-lvs)');
  process.stdout.write(execFileSync('ip', ['netns', 'exec', director, process.execPath, nlIpvsadm, '-Ln'], { encoding: 'utf8' }));
  console.log('\nsix requests from the client:');
  httpGets(client, url, 6).forEach((who, i) => console.log(`  request ${i + 1} answered by ${who}`));
  console.log('\nconnection entries (ipvs.connections(), like ipvsadm -Lcn):');
  for await (const c of ipvs.connections()) {
    console.log(`  ${c.protocol.toUpperCase()} ${c.state.padEnd(11)} ${c.client.address}:${c.client.port} -> ${c.virtual.address}:${c.virtual.port} -> ${c.destination.address}:${c.destination.port}  expires in ${c.expires}s`);
  }
  // The kernel folds per-CPU counters into the totals every 2 s (its rate estimator).
  let [svc] = await ipvs.snapshot();
  for (let i = 0; i < 30 && svc.stats.connections < 6n; i++) {
    await new Promise((r) => setTimeout(r, 200));
    [svc] = await ipvs.snapshot();
  }
  console.log('\nstats (ipvs.snapshot()):');
  console.log(`  service ${svc.address}:${svc.port}  connections ${svc.stats.connections}  packets in ${svc.stats.inPackets} out ${svc.stats.outPackets}`);
  for (const dst of svc.destinations) {
    console.log(`    -> ${dst.address}:${dst.port} ${dst.forward.padEnd(5)} weight ${dst.weight}  connections ${dst.stats.connections}  active ${dst.activeConnections} inactive ${dst.inactiveConnections}`);
  }
}

try {
  const info = await Ipvs.open().info();
  console.log(`IP Virtual Server version ${info.version} (size=${info.connTableSize}), kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`);
  await natTutorial();
  await drTutorial();
} finally {
  for (const child of children) child.kill('SIGKILL');
  for (const name of made) {
    try {
      sandbox('netns', 'del', name);
    } catch {
      // already gone
    }
  }
}
