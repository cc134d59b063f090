#!/usr/bin/env node
// The VXLAN tutorial, in code. Two hosts joined by an underlay; on each, a
// bridge vbr0 with an overlay address and a VXLAN device (VNI 42) as its port;
// then a ping across the overlay, captured on the underlay. Instead of
//   brctl addbr vbr0; ip addr add 192.0.2.1/24 dev vbr0
//   ip link add vxlan42 type vxlan id 42 dev eth0 remote B local A dstport 4789
//   brctl addif vbr0 vxlan42; tcpdump -i eth0 udp port 4789
// every step below is a library call. Run as root, after `npm run build`:
//   node examples/vxlan-tutorial.mjs
import { execFileSync, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Rtnl, Bridge, Vxlan, PacketTap } from 'nl-lvs';

const step = (title) => console.log(`\n=== ${title} ===`);
const suffix = randomBytes(3).toString('hex');
const hosts = [
  { ns: `vxdemo-a-${suffix}`, underlay: '198.51.100.1', overlay: '192.0.2.1' },
  { ns: `vxdemo-b-${suffix}`, underlay: '198.51.100.2', overlay: '192.0.2.2' },
];
const [A, B] = hosts;

// Sandbox setup, not library use: two throw-away namespaces stand in for two machines.
const sandbox = (...args) => execFileSync('ip', ['netns', ...args]);
// Deleting a namespace deletes everything in it. On 'exit', so errors and Ctrl-C clean up too.
process.once('exit', () => hosts.forEach((h) => { try { sandbox('del', h.ns); } catch { /* never made */ } }));
process.once('SIGINT', () => process.exit(130));

try {
  step(`1. Sandbox: hosts ${A.ns} and ${B.ns} (network namespaces)`);
  for (const h of hosts) {
    sandbox('add', h.ns);
    h.rtnl = Rtnl.open({ netns: h.ns }); // every call on h.rtnl acts inside that namespace
  }

  step('2. Underlay: a veth cable eth0 <-> eth0, 198.51.100.1/24 and .2/24');
  await A.rtnl.links.create({ kind: 'veth', name: 'eth0', up: true, peer: { name: 'eth0', netns: B.ns } });
  await B.rtnl.links.set('eth0', { up: true });
  for (const h of hosts) {
    await h.rtnl.addresses.add({ dev: 'eth0', address: `${h.underlay}/24` });
    const [addr] = await h.rtnl.addresses.list({ dev: 'eth0', family: 4 });
    console.log(`${h.ns}: eth0 ${addr.address}/${addr.prefix}`);
  }

  step('3. Overlay on each host: bridge vbr0 + address, vxlan42 (VNI 42, UDP 4789) as its port');
  for (const [h, peer] of [[A, B], [B, A]]) {
    await Bridge.create(h.rtnl, { name: 'vbr0', up: true });                          // brctl addbr vbr0
    await h.rtnl.addresses.add({ dev: 'vbr0', address: `${h.overlay}/24` });          // ip addr add ... dev vbr0
    await Vxlan.create(h.rtnl, {                                                        // ip link add vxlan42 type vxlan ...
      name: 'vxlan42', id: 42, dev: 'eth0', remote: peer.underlay, local: h.underlay, dstPort: 4789, up: true,
    });
    await Bridge.addPort(h.rtnl, 'vbr0', 'vxlan42');                                   // brctl addif vbr0 vxlan42
    console.log(`${h.ns}: vbr0 ${h.overlay}/24, port vxlan42 -> remote ${peer.underlay}`);
  }

  step(`4. brctl show (on ${A.ns})`);
  console.log('bridge name\tbridge id\t\tSTP enabled\tinterfaces');
  for (const { bridge, ports } of await Bridge.show(A.rtnl)) {
    const id = `${(bridge.info.priority ?? 0).toString(16).padStart(4, '0')}.${bridge.mac.replaceAll(':', '')}`;
    console.log(`${bridge.name}\t\t${id}\t${bridge.info.stp ? 'yes' : 'no'}\t\t${ports.map((p) => p.name).join(' ')}`);
  }

  step(`5. ip -d link show vxlan42 (on ${A.ns})`);
  const vx = await Vxlan.get(A.rtnl, 'vxlan42');
  const dev = await A.rtnl.links.get(vx.info.dev);
  const master = await A.rtnl.links.get(vx.master);
  console.log(`${vx.index}: ${vx.name}: mtu ${vx.mtu} master ${master.name} state ${vx.operstate.toUpperCase()}`);
  console.log(`    link/ether ${vx.mac}`);
  const { id, remote, local, dstPort, learning, ageing } = vx.info;
  console.log(`    vxlan id ${id} remote ${remote} local ${local} dev ${dev.name} dstport ${dstPort} ${learning ? '' : 'no'}learning ageing ${ageing}`);

  step(`6. ping -c 3 ${B.overlay} (from ${A.ns}), capturing "udp port 4789" on eth0`);
  const tap = PacketTap.open({ netns: A.ns, interface: 'eth0', filter: 'udp port 4789' });
  const frames = [];
  const capturing = (async () => { for await (const batch of tap) frames.push(...batch); })();
  const { stdout } = await promisify(execFile)('ip', ['netns', 'exec', A.ns, 'ping', '-c', '3', '-i', '0.2', B.overlay]);
  console.log(stdout.trim().split('\n').slice(-2).join('\n'));
  await new Promise((r) => setTimeout(r, 200)); // let the tap hand over its last ring block
  tap.close();
  await capturing;

  step(`7. One captured VXLAN packet, decoded (${frames.length} captured)`);
  for (const kind of ['request', 'reply']) {
    const f = frames.find((fr) => fr.layers.vxlan?.inner.icmp?.echo === kind);
    if (f === undefined) continue;
    const { ip, udp, vxlan } = f.layers;
    const inner = vxlan.inner;
    console.log(`${ip.source}.${udp.sourcePort} > ${ip.destination}.${udp.destinationPort}: UDP, length ${udp.length}`);
    console.log(`  VXLAN, flags [0x${vxlan.flags.toString(16).padStart(2, '0')}] (I: VNI valid), vni ${vxlan.vni}`);
    console.log(`  ${inner.ethernet.source} > ${inner.ethernet.destination}, ` +
      `${inner.ip.source} > ${inner.ip.destination}: ICMP echo ${kind}, id ${inner.icmp.id}, seq ${inner.icmp.sequence}`);
  }
} finally {
  for (const h of hosts) h.rtnl?.close();
}
