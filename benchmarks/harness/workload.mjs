// The work every tool does, defined once. The C floor, the Go peer and the
// pyroute2 script compute the same addresses from the same formulas (their
// headers say so); the CLI tools get files generated here.
//
// IPVS:  service i      = 198.18.0.0 + 1 + i, TCP port 80, scheduler rr
//        destination j  = 198.19.0.0 + 1 + i*D + j, port 8080, masq, weight 1
// FDB:   entry k        = MAC 02:00:00:xx:xx:xx (k + 1), dst 198.51.100.(2 + k % 200),
//                         on vxlan device vx0 (id 42), self, permanent
// links: veth k         = bv<k> with peer bp<k>; vxlan k = bx<k>, id 1000 + k, dstport 4789
import { writeFileSync } from 'node:fs';

export const SVC_BASE = 0xc6120001; // 198.18.0.1
export const DST_BASE = 0xc6130001; // 198.19.0.1
export const SINGLE_BASE = 0xc613f001; // 198.19.240.1: single-op services, clear of the bulk range
export const FDB_DEV = 'vx0';
export const FDB_VNI = 42;

export function ipv4(n) {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export const serviceAddress = (i) => ipv4(SVC_BASE + i);
export const destinationAddress = (i, j, d) => ipv4(DST_BASE + i * d + j);

export function fdbMac(k) {
  const n = k + 1;
  const hex = (v) => v.toString(16).padStart(2, '0');
  return `02:00:00:${hex((n >>> 16) & 255)}:${hex((n >>> 8) & 255)}:${hex(n & 255)}`;
}
export const fdbDst = (k) => `198.51.100.${2 + (k % 200)}`;

/**
 * The bulk IPVS state as the op objects ipvs.batch() takes: what a controller
 * holds. The JS floor reads the same objects, so both pay for the same input.
 */
export function ipvsBulkOps(n, d, first = 0) {
  const ops = [];
  for (let i = first; i < first + n; i++) {
    const key = { protocol: 'tcp', address: serviceAddress(i), port: 80 };
    ops.push({ op: 'addService', service: { ...key, scheduler: 'rr' } });
    for (let j = 0; j < d; j++) {
      ops.push({ op: 'addDestination', service: key, destination: { address: destinationAddress(i, j, d), port: 8080, forward: 'masq', weight: 1 } });
    }
  }
  return ops;
}

/**
 * The IPVS create's JIT warm-up, run in a scratch namespace before the timed
 * batch: IPVS_WARMUP_BATCHES rounds, each the timed run's own steps on a
 * handle of its own (open it, resolve the family, one batch of up to
 * 2000 × D with services of its own, close it), as a controller that has run
 * for a while has done. The addresses stay in 198.18.0.0/15.
 * - One batch was not enough: traced with --trace-opt, 24 of nl-lvs's
 *   functions were still being compiled by TurboFan during the timed 10k × 4
 *   run, ~150 ms of it under UML.
 * - Batches on one handle were not enough either: V8 allocates a function's
 *   feedback only after its first calls, so the family request each handle
 *   starts with was never seen by the optimized receive path. The timed
 *   handle's first request deoptimized it, and the timed batch paid for the
 *   recompiles: 620-760 ms against 444-541 ms with rounds (3 runs each, UML).
 * Both nl-lvs and the JS floor warm up this way.
 */
export const IPVS_WARMUP_BATCHES = 3;
export const ipvsWarmupOps = (batch, n, d) => ipvsBulkOps(Math.min(2000, n), d, batch * 2000);

/** FDB entries 0..n-1 as the op objects rtnl.batch() takes ('fdb.add' or 'fdb.delete'). */
export function fdbOps(op, n, dev = FDB_DEV) {
  const ops = new Array(n);
  for (let k = 0; k < n; k++) {
    ops[k] = op === 'fdb.add'
      ? { op, dev, mac: fdbMac(k), dst: fdbDst(k), self: true, state: 'permanent' }
      : { op, dev, mac: fdbMac(k), dst: fdbDst(k), self: true };
  }
  return ops;
}

/**
 * Deletes of entries that are not there (MACs 02:00:01:…, outside fdbMac's
 * range) on the timed device: ENOENT each, the kernel's table unchanged. The
 * FDB warm-ups end with them, so that the JIT has seen the timed device's name
 * and the batch path after the warm-up's link requests before the timed run.
 */
export function fdbAbsentDeletes(n, dev = FDB_DEV) {
  return fdbOps('fdb.delete', n, dev).map((o) => ({ ...o, mac: `02:00:01${o.mac.slice(8)}` }));
}

/** `ipvsadm -R` input: what `ipvsadm -Sn` would print for the bulk state. */
export function ipvsadmRestore(n, d) {
  const lines = [];
  for (let i = 0; i < n; i++) {
    const vip = serviceAddress(i);
    lines.push(`-A -t ${vip}:80 -s rr`);
    for (let j = 0; j < d; j++) lines.push(`-a -t ${vip}:80 -r ${destinationAddress(i, j, d)}:8080 -m -w 1`);
  }
  return lines.join('\n') + '\n';
}

/** The same work as ipvsadm argument vectors, one process per operation. */
export function ipvsadmCommands(n, d, limit = Infinity) {
  const out = [];
  for (let i = 0; i < n && out.length < limit; i++) {
    const vip = serviceAddress(i);
    out.push(['-A', '-t', `${vip}:80`, '-s', 'rr']);
    for (let j = 0; j < d && out.length < limit; j++) {
      out.push(['-a', '-t', `${vip}:80`, '-r', `${destinationAddress(i, j, d)}:8080`, '-m', '-w', '1']);
    }
  }
  return out;
}

/** `bridge -batch` input for adding (or deleting) the FDB entries. */
export function bridgeBatch(verb, count) {
  const lines = [];
  for (let k = 0; k < count; k++) {
    lines.push(
      verb === 'add'
        ? `fdb add ${fdbMac(k)} dev ${FDB_DEV} dst ${fdbDst(k)} self permanent`
        : `fdb del ${fdbMac(k)} dev ${FDB_DEV} dst ${fdbDst(k)} self`,
    );
  }
  return lines.join('\n') + '\n';
}

/** `ip -batch` input creating the links. */
export function ipLinkBatch(kind, count) {
  const lines = [];
  for (let k = 0; k < count; k++) {
    lines.push(kind === 'veth' ? `link add bv${k} type veth peer name bp${k}` : `link add bx${k} type vxlan id ${1000 + k} dstport 4789`);
  }
  return lines.join('\n') + '\n';
}

export function writeText(path, text) {
  writeFileSync(path, text);
  return path;
}

// IPVS apply(): the bulk state as data, and its 1% change. Every tool of the
// apply cases gets the same state from these (nl-lvs as a desired state,
// ipvsadm as -R input, the check as /proc/net/ip_vs lines).
//
// Changed services: max(4, n/100) of them, spread evenly (i = k * floor(n / count)),
// and for the k-th one, by k % 4:
//   0 scheduler rr -> wlc                          (ipvsadm -E)
//   1 destination 0: weight 1 -> 2                 (ipvsadm -e)
//   2 destination added: destination 0's address, port 8081, masq, weight 1   (ipvsadm -a)
//   3 the last destination removed                 (ipvsadm -d)
export const CHANGE_KINDS = ['scheduler', 'weight', 'add', 'remove'];

/** Service index -> kind of change (see above). */
export function changedServices(n) {
  const count = Math.min(n, Math.max(4, Math.round(n / 100)));
  const step = Math.floor(n / count);
  return new Map(Array.from({ length: count }, (_, k) => [k * step, CHANGE_KINDS[k % 4]]));
}

/** The bulk state ([{ address, scheduler, destinations: [{ address, port, weight }] }]), with `changes` applied. */
export function ipvsState(n, d, changes = new Map()) {
  const state = [];
  for (let i = 0; i < n; i++) {
    const destinations = [];
    for (let j = 0; j < d; j++) destinations.push({ address: destinationAddress(i, j, d), port: 8080, weight: 1 });
    const s = { address: serviceAddress(i), scheduler: 'rr', destinations };
    const kind = changes.get(i);
    if (kind === 'scheduler') s.scheduler = 'wlc';
    else if (kind === 'weight') destinations[0].weight = 2;
    else if (kind === 'add') destinations.push({ address: destinations[0].address, port: 8081, weight: 1 });
    else if (kind === 'remove') destinations.pop();
    state.push(s);
  }
  return state;
}

/** `ipvsadm -R` input making `state` (TCP port 80, masq destinations). */
export function restoreOf(state) {
  const lines = [];
  for (const s of state) {
    lines.push(`-A -t ${s.address}:80 -s ${s.scheduler}`);
    for (const t of s.destinations) lines.push(`-a -t ${s.address}:80 -r ${t.address}:${t.port} -m -w ${t.weight}`);
  }
  return lines.join('\n') + '\n';
}

/** `ipvsadm -R` input making the changes only: the edit commands an ipvsadm user would write by hand. */
export function restoreOfChanges(n, d, changes) {
  const lines = [];
  for (const [i, kind] of changes) {
    const vip = `${serviceAddress(i)}:80`;
    const first = destinationAddress(i, 0, d);
    if (kind === 'scheduler') lines.push(`-E -t ${vip} -s wlc`);
    else if (kind === 'weight') lines.push(`-e -t ${vip} -r ${first}:8080 -m -w 2`);
    else if (kind === 'add') lines.push(`-a -t ${vip} -r ${first}:8081 -m -w 1`);
    else lines.push(`-d -t ${vip} -r ${destinationAddress(i, d - 1, d)}:8080`);
  }
  return lines.join('\n') + '\n';
}

/** How /proc/net/ip_vs shows `state`, one normalized line per object (see procIpvsLines). */
export function expectedProcLines(state) {
  const hex = (addr, port) => `${addr.split('.').map((b) => Number(b).toString(16).padStart(2, '0')).join('').toUpperCase()}:${port.toString(16).padStart(4, '0').toUpperCase()}`;
  const lines = [];
  for (const s of state) {
    const svc = `TCP ${hex(s.address, 80)}`;
    lines.push(`${svc} ${s.scheduler}`);
    for (const t of s.destinations) lines.push(`${svc} -> ${hex(t.address, t.port)} Masq ${t.weight}`);
  }
  return lines;
}

/** /proc/net/ip_vs text as the lines expectedProcLines() makes (counters dropped). */
export function procIpvsLines(text) {
  const lines = [];
  let svc;
  for (const line of text.split('\n')) {
    const s = line.match(/^(TCP|UDP|SCTP)\s+([0-9A-F]{8}:[0-9A-F]{4}) (\S+)/);
    if (s) {
      svc = `${s[1]} ${s[2]}`;
      lines.push(`${svc} ${s[3]}`);
      continue;
    }
    const t = line.match(/^\s+-> ([0-9A-F]{8}:[0-9A-F]{4})\s+(\S+)\s+(\d+)/);
    if (t && svc) lines.push(`${svc} -> ${t[1]} ${t[2]} ${t[3]}`);
  }
  return lines;
}
