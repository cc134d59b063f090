// rtnetlink cases, on the host kernel: FDB entries on a vxlan device (create,
// list, delete) and links (veth and vxlan create, dump).
import { join } from 'node:path';
import { nlLvs, floor, jsFloor, vishvananda, pyroute2, cli, which, ONE_ACK_FLOOR } from '../harness/tools.mjs';
import { bridgeBatch, ipLinkBatch, writeText, FDB_DEV, FDB_VNI } from '../harness/workload.mjs';

export const SIZES = {
  full: { fdb: 50_000, links: 1000 },
  quick: { fdb: 2000, links: 100 },
};

/** The vxlan device every FDB case works on. */
function addVxlan({ bench, ns }) {
  bench.sh('ip', ['-n', ns, 'link', 'add', FDB_DEV, 'type', 'vxlan', 'id', String(FDB_VNI), 'dstport', '4789', 'nolearning']);
}

/** Fills the FDB with the floor (untimed setup for list and delete). */
function addFdb(ctx) {
  addVxlan(ctx);
  ctx.bench.sh('ip', ['netns', 'exec', ctx.ns, join(ctx.bench.bin, 'rtnl_floor'), 'fdb-add', String(ctx.params.fdb)]);
}

function fdbCount({ bench, ns }) {
  const out = bench.sh('ip', ['netns', 'exec', ns, 'bridge', 'fdb', 'show', 'dev', FDB_DEV]);
  return out.split('\n').filter((l) => l.startsWith('02:00:00:')).length;
}

function linkCount({ bench, ns }, kind) {
  return bench.sh('ip', ['-n', ns, '-o', 'link', 'show', 'type', kind]).split('\n').filter(Boolean).length;
}

const expectItems = (want) => (_ctx, parsed) => (parsed.items === want ? undefined : `read ${parsed.items} entries, expected ${want}`);

export function rtnlCases(bench, sizes) {
  const file = (name, text) => writeText(join(bench.work, name), text);
  const fdbAdd = file('fdb-add.batch', bridgeBatch('add', sizes.fdb));
  const fdbDel = file('fdb-del.batch', bridgeBatch('del', sizes.fdb));
  const vethBatch = file('veth.batch', ipLinkBatch('veth', sizes.links));
  const vxlanBatch = file('vxlan.batch', ipLinkBatch('vxlan', sizes.links));
  const params = { ...sizes };
  const n = sizes.fdb;

  const fdbCreate = {
    id: 'fdb-create',
    title: `FDB: add ${n} entries (distinct MACs, dst, self permanent) to a vxlan device`,
    what: 'the whole batch, from the first message to the last ack',
    params,
    setup: addVxlan,
    verify: (ctx) => {
      const found = fdbCount(ctx);
      return found === n ? undefined : `${found} entries in the FDB afterwards, expected ${n}`;
    },
    tools: [
      nlLvs('nl-lvs-rtnl.mjs', (p) => ['fdb-add', '--n', String(p.fdb)]),
      cli('bridge-batch', 'iproute2 bridge -batch', () => ({ argv: ['bridge', '-batch', fdbAdd] }), { unavailable: () => which('bridge') }),
      pyroute2((p) => ['fdb-add', String(p.fdb)]),
      vishvananda((p) => ['fdb-add', String(p.fdb)]),
      floor('rtnl_floor', (p) => ['fdb-add', String(p.fdb)]),
      floor('rtnl_floor', (p) => ['fdb-add', String(p.fdb), 'one-ack'], ONE_ACK_FLOOR),
      jsFloor((p) => ['fdb-add', '--n', String(p.fdb)]),
    ],
  };

  const fdbList = {
    id: 'fdb-list',
    title: `FDB: list ${n} entries of the vxlan device`,
    what: 'one dump, every entry decoded',
    params,
    setup: addFdb,
    verify: (ctx, parsed) => expectItems(n)(ctx, parsed),
    tools: [
      nlLvs('nl-lvs-rtnl.mjs', () => ['fdb-list']),
      cli('bridge-show', 'iproute2 bridge fdb show', () => ({ argv: ['bridge', 'fdb', 'show', 'dev', FDB_DEV] }), {
        unavailable: () => which('bridge'),
        parse: (r) => ({ items: r.stdout.split('\n').filter((l) => l.startsWith('02:00:00:')).length }),
      }),
      pyroute2(() => ['fdb-list']),
      vishvananda(() => ['fdb-list']),
      floor('rtnl_floor', () => ['fdb-list']),
    ],
  };

  const fdbDelete = {
    id: 'fdb-delete',
    title: `FDB: delete ${n} entries`,
    what: 'the whole batch',
    params,
    setup: addFdb,
    verify: (ctx) => {
      const left = fdbCount(ctx);
      return left === 0 ? undefined : `${left} entries left`;
    },
    tools: [
      nlLvs('nl-lvs-rtnl.mjs', (p) => ['fdb-del', '--n', String(p.fdb)]),
      cli('bridge-batch', 'iproute2 bridge -batch', () => ({ argv: ['bridge', '-batch', fdbDel] }), { unavailable: () => which('bridge') }),
      pyroute2((p) => ['fdb-del', String(p.fdb)]),
      vishvananda((p) => ['fdb-del', String(p.fdb)]),
      floor('rtnl_floor', (p) => ['fdb-del', String(p.fdb)]),
      floor('rtnl_floor', (p) => ['fdb-del', String(p.fdb), 'one-ack'], ONE_ACK_FLOOR),
      jsFloor((p) => ['fdb-del', '--n', String(p.fdb)]),
    ],
  };

  const linkCreate = (kind, batchFile) => ({
    id: `link-create-${kind}`,
    title: `links: create ${sizes.links} ${kind} ${kind === 'veth' ? 'pairs' : 'devices (id 1000+k, dstport 4789)'}`,
    what: 'all creates',
    params,
    verify: (ctx) => {
      const want = kind === 'veth' ? 2 * sizes.links : sizes.links;
      const found = linkCount(ctx, kind);
      return found === want ? undefined : `${found} ${kind} links afterwards, expected ${want}`;
    },
    tools: [
      nlLvs('nl-lvs-rtnl.mjs', (p) => ['link-add', '--kind', kind, '--n', String(p.links)]),
      cli('ip-batch', 'iproute2 ip -batch', () => ({ argv: ['ip', '-batch', batchFile] })),
      pyroute2((p) => ['link-add', kind, String(p.links)]),
      vishvananda((p) => ['link-add', kind, String(p.links)]),
      floor('rtnl_floor', (p) => ['link-add', kind, String(p.links)]),
    ],
  });

  const dumpTotal = 3 * sizes.links + 1; // veth pairs, vxlan devices, lo
  const linkDump = {
    id: 'link-dump',
    title: `links: dump ${dumpTotal} links (${sizes.links} veth pairs, ${sizes.links} vxlan, lo)`,
    what: 'one dump, every link decoded (with stats64 and kind data)',
    params,
    setup: ({ bench, ns, params: p }) => {
      for (const kind of ['veth', 'vxlan']) bench.sh('ip', ['netns', 'exec', ns, join(bench.bin, 'rtnl_floor'), 'link-add', kind, String(p.links)]);
    },
    verify: expectItems(dumpTotal),
    tools: [
      nlLvs('nl-lvs-rtnl.mjs', () => ['link-dump']),
      cli('ip-link-show', 'iproute2 ip -d link show', () => ({ argv: ['ip', '-d', 'link', 'show'] }), {
        parse: (r) => ({ items: r.stdout.split('\n').filter((l) => /^\d+: /.test(l)).length }),
      }),
      pyroute2(() => ['link-dump']),
      vishvananda(() => ['link-dump']),
      floor('rtnl_floor', () => ['link-dump']),
    ],
  };

  return [fdbCreate, fdbList, fdbDelete, linkCreate('veth', vethBatch), linkCreate('vxlan', vxlanBatch), linkDump];
}
