// Run without CAP_NET_ADMIN (security-unprivileged.test.ts starts it under
// setpriv): tries what needs the capability and what does not, and prints
// one JSON line of outcomes: { what: 'ok' | '<error class> <code>' }.
import { Rtnl, Ipvs } from '../../lib/index.js';

const ns = process.argv[2];
const out: Record<string, string> = {};

async function attempt(what: string, fn: () => Promise<unknown> | unknown): Promise<void> {
  try {
    await fn();
    out[what] = 'ok';
  } catch (err) {
    const e = err as { name?: string; code?: string; errno?: number };
    out[what] = `${e.name} ${e.code} ${e.errno}`;
  }
}

const rtnl = Rtnl.open({ netns: ns });
out.features = String(rtnl.conn.features);
await attempt('links.list', () => rtnl.links.list());
await attempt('links.get', () => rtnl.links.get('lo'));
await attempt('links.create', () => rtnl.links.create({ kind: 'bridge', name: 'unpriv0' }));
await attempt('links.set', () => rtnl.links.set('lo', { mtu: 1500 }));
await attempt('addresses.add', () => rtnl.addresses.add({ dev: 'lo', address: '198.18.9.9/32' }));
await attempt('fdb.add', () => rtnl.fdb.add({ dev: 'lo', mac: '02:00:00:00:00:01' }));
await attempt('batch', async () => {
  const results = await rtnl.batch([
    { op: 'address.add', dev: 'lo', address: '198.18.9.10/32' },
    { op: 'route.add', dst: '198.18.10.0/24', dev: 'lo' },
  ]);
  const failed = results.find((r) => !r.ok);
  if (failed && !failed.ok) throw failed.error;
});
rtnl.close();
if (process.argv[3] === 'ipvs') {
  const ipvs = Ipvs.open({ netns: ns });
  await attempt('ipvs.info', () => ipvs.info());
  await attempt('ipvs.listServices', () => ipvs.listServices());
  await attempt('ipvs.addService', () => ipvs.addService({ protocol: 'tcp', address: '198.51.100.1', port: 80 }));
  ipvs.close();
}
console.log(JSON.stringify(out));
