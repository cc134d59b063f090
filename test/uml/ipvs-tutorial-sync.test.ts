// The LVS tutorial, connection sync, end to end in the UML kernel: a master
// and a backup director in two namespaces of one kernel, joined by a veth
// for the multicast sync messages. Connections made through the master appear
// on the backup, marked SYNC in /proc/net/ip_vs_conn_sync.
// The master sends a TCP connection once it is ESTABLISHED and has seen
// sync_threshold packets (default 3: SYN, ACK, request), and again on later
// state changes, so an HTTP request is enough; sync_version is left at 1.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Ipvs, type IpvsConnection, type ServiceKey } from '../../lib/index.js';
import { nsExec } from '../helpers/netns.js';
import { buildSyncTopology, httpGets, eventually, type SyncTopology } from '../helpers/lvs-topology.js';

let t: SyncTopology;
let master: Ipvs;
let backup: Ipvs;
const web: ServiceKey = { protocol: 'tcp', address: '203.0.113.100', port: 80 };
const SYNC_ID = 9;

async function table(ipvs: Ipvs): Promise<IpvsConnection[]> {
  const out: IpvsConnection[] = [];
  for await (const e of ipvs.connections({ sync: true, filter: { service: { address: t.vip, port: 80 } } })) out.push(e);
  return out;
}

beforeAll(async () => {
  t = await buildSyncTopology('lvs-sync');
  master = Ipvs.open({ netns: t.master });
  backup = Ipvs.open({ netns: t.backup });
  // Both directors carry the service, so that the backup could take over.
  for (const director of [master, backup]) {
    await director.addService({ ...web, scheduler: 'rr' });
    await director.addDestination(web, { address: t.realIp, forward: 'masq' });
  }
});
afterAll(() => {
  master?.close();
  backup?.close();
});

describe('connection synchronisation', () => {
  it('runs a backup and a master daemon on the sync link', async () => {
    await backup.startDaemon({ state: 'backup', interface: t.syncInterface, syncId: SYNC_ID });
    await master.startDaemon({ state: 'master', interface: t.syncInterface, syncId: SYNC_ID });
    expect(await master.listDaemons()).toMatchObject([{ state: 'master', interface: t.syncInterface, syncId: SYNC_ID }]);
    expect(await backup.listDaemons()).toMatchObject([{ state: 'backup', interface: t.syncInterface, syncId: SYNC_ID }]);
    expect(nsExec(t.backup, 'ipvsadm', '-L', '--daemon')).toContain(`backup sync daemon (mcast=${t.syncInterface}, syncid=${SYNC_ID}`);
  });

  it('connections made on the master appear on the backup with origin SYNC', async () => {
    const answers = await httpGets(t.client, `http://${t.vip}/`, 3);
    expect(answers.map((a) => a.server)).toEqual(['R', 'R', 'R']);

    const made = await table(master);
    expect(made).toHaveLength(3);
    expect(made.every((e) => e.origin === 'local')).toBe(true);
    const clientPorts = made.map((e) => e.client.port).sort();

    const synced = await eventually(async () => {
      const list = await table(backup);
      expect(list.map((e) => e.client.port).sort()).toEqual(clientPorts);
      return list;
    });
    for (const e of synced) {
      expect(e).toMatchObject({
        origin: 'sync', protocol: 'tcp', client: { address: t.clientIp }, virtual: { address: t.vip, port: 80 },
        destination: { address: t.realIp, port: 80 },
      });
    }
    // The oracle: ipvsadm on the backup lists them too.
    const oracle = nsExec(t.backup, 'ipvsadm', '-Lcn');
    for (const port of clientPorts) expect(oracle).toContain(`${t.clientIp}:${port}`);
  });

  it('stops both daemons', async () => {
    await master.stopDaemon('master', SYNC_ID);
    await backup.stopDaemon('backup', SYNC_ID);
    expect(await master.listDaemons()).toEqual([]);
    expect(await backup.listDaemons()).toEqual([]);
  });
});
