// nl-lvs on the rtnetlink cases, as an application would use it: one
// long-lived handle (Rtnl.open({ netns })), warmed up (the FDB cases with the
// JIT warm too: warmFdb), then the timed call.
//
//   node nl-lvs-rtnl.mjs fdb-add  --netns NS --n N    rtnl.batch(fdb.add x N)
//   node nl-lvs-rtnl.mjs fdb-list --netns NS          rtnl.fdb.list({ dev })
//   node nl-lvs-rtnl.mjs fdb-del  --netns NS --n N    rtnl.batch(fdb.delete x N)
//   node nl-lvs-rtnl.mjs link-add --netns NS --kind veth|vxlan --n N
//   node nl-lvs-rtnl.mjs link-dump --netns NS         rtnl.links.list()
import { parseArgs, loadLibrary, timed, report } from './common.mjs';
import { fdbOps, fdbAbsentDeletes, FDB_DEV } from '../harness/workload.mjs';

const opts = parseArgs(process.argv.slice(2));
const { Rtnl, ValidationError } = await loadLibrary();
const rtnl = Rtnl.open({ netns: opts.netns });
// Warm-up: opens the socket (inside the namespace) and runs one round trip.
await rtnl.links.get('lo');

function linkSpecs(kind, n) {
  const specs = new Array(n);
  for (let k = 0; k < n; k++) {
    specs[k] = kind === 'veth'
      ? { kind: 'veth', name: `bv${k}`, peer: { name: `bp${k}` } }
      : { kind: 'vxlan', name: `bx${k}`, id: 1000 + k, dstPort: 4789 };
  }
  return specs;
}

async function batchResult(ops) {
  const r = await timed(() => rtnl.batch(ops));
  const failed = r.value.filter((x) => !x.ok);
  return { op_ms: r.op_ms, items: r.value.length, errors: failed.length, first_error: failed[0]?.error?.message, stall_ms: r.stall_ms, eld_max_ms: r.eld_max_ms, minflt: r.minflt, user_ms: r.user_ms, sys_ms: r.sys_ms, via: 'rtnl.batch' };
}

/**
 * JIT warm-up for the FDB cases, untimed, as a long-running agent has had
 * (the IPVS cases do the same): the same operations, 10k of them twice
 * (add, list, delete), on a scratch veth of this namespace, which keeps them
 * in its address list. Not on a scratch vxlan: its remotes each hold a
 * per-CPU dst cache, and after that churn the kernel's own work on the timed
 * adds grew more (system time 251–287 -> 340–384 ms) than the warm JIT saved.
 * Then deletes of absent entries on the timed device (fdbAbsentDeletes):
 * without them the timed batch deoptimized the checks (the device name cache
 * missed for the first time) and the send loop (its first batch after the
 * link delete's request), and compiled them again while timed.
 */
async function warmFdb() {
  const dev = 'vwarm';
  await rtnl.links.create({ kind: 'veth', name: dev, peer: { name: `${dev}p` } });
  for (let round = 0; round < 2; round++) {
    await rtnl.batch(fdbOps('fdb.add', 10_000, dev));
    await rtnl.fdb.list({ dev });
    await rtnl.batch(fdbOps('fdb.delete', 10_000, dev));
  }
  await rtnl.links.delete(dev);
  for (let round = 0; round < 5; round++) await rtnl.batch(fdbAbsentDeletes(2048));
}

switch (opts.mode) {
  case 'fdb-add':
    await warmFdb();
    report(await batchResult(fdbOps('fdb.add', opts.n)));
    break;
  case 'fdb-del':
    await warmFdb();
    report(await batchResult(fdbOps('fdb.delete', opts.n)));
    break;
  case 'fdb-list': {
    await warmFdb();
    const r = await timed(() => rtnl.fdb.list({ dev: FDB_DEV }));
    report({ op_ms: r.op_ms, items: r.value.length, errors: 0, stall_ms: r.stall_ms, eld_max_ms: r.eld_max_ms, via: 'rtnl.fdb.list' });
    break;
  }
  case 'link-add': {
    const specs = linkSpecs(opts.kind, opts.n);
    // rtnl.batch takes link operations once the links module offers them;
    // until then the best an application can do is N concurrent creates.
    let via = 'rtnl.batch(link.create)';
    let r;
    try {
      r = await timed(() => rtnl.batch(specs.map((s) => ({ op: 'link.create', ...s }))));
      r.value = r.value.map((x) => (x.ok ? { ok: true } : x));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      via = 'Promise.all(rtnl.links.create)';
      r = await timed(() => Promise.all(specs.map((s) => rtnl.links.create(s).then(() => ({ ok: true }), (error) => ({ ok: false, error })))));
    }
    const failed = r.value.filter((x) => !x.ok);
    report({ op_ms: r.op_ms, items: r.value.length, errors: failed.length, first_error: failed[0]?.error?.message, stall_ms: r.stall_ms, eld_max_ms: r.eld_max_ms, via });
    break;
  }
  case 'link-dump': {
    // Warm, as the other cases: three untimed dumps of the same links (reads only).
    for (let i = 0; i < 3; i++) await rtnl.links.list();
    const r = await timed(() => rtnl.links.list());
    report({ op_ms: r.op_ms, items: r.value.length, errors: 0, stall_ms: r.stall_ms, eld_max_ms: r.eld_max_ms, via: 'rtnl.links.list' });
    break;
  }
  default:
    throw new Error(`unknown mode ${opts.mode}`);
}
rtnl.close();
