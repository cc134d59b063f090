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
