// The order ipvsadm lists services and real servers in. Its comparisons
// subtract unsigned 32-bit values and read the result as an int, so keys that
// differ by 2^31 or more compare "backwards" (10.0.0.1 sorts after
// 200.0.0.1, fwmark 3000000000 before fwmark 1), and the comparison is not a
// total order. The outcome then depends on the sorting algorithm as well:
// glibc's qsort() is a top-down merge sort, reproduced here step for step.

/** (int)(a - b) for two unsigned 32-bit values. */
function diff32(a: number, b: number): number {
  return (a - b) | 0;
}

export interface ServiceSortKey {
  fwmark: number;
  af: number;
  protocol: number;
  /** 16 bytes, network order; IPv4 in the first 4. */
  addr: Buffer;
  port: number;
}

export interface DestSortKey {
  af: number;
  addr: Buffer;
  port: number;
}

function compareAddr(af: number, a: Buffer, b: Buffer, v6: number): number {
  if (af === v6) {
    let r = 0;
    for (let i = 0; r === 0 && i < 4; i++) r = diff32(a.readUInt32BE(4 * i), b.readUInt32BE(4 * i));
    return r;
  }
  return diff32(a.readUInt32BE(0), b.readUInt32BE(0));
}

/** ipvs_cmp_services(). */
export function compareServices(v6: number): (a: ServiceSortKey, b: ServiceSortKey) => number {
  return (a, b) => {
    let r = diff32(a.fwmark, b.fwmark);
    if (r !== 0) return r;
    r = a.af - b.af;
    if (r !== 0) return r;
    r = a.protocol - b.protocol;
    if (r !== 0) return r;
    r = compareAddr(a.af, a.addr, b.addr, v6);
    if (r !== 0) return r;
    return a.port - b.port;
  };
}

/** ipvs_cmp_dests(): the first one's family decides how many address bytes count. */
export function compareDests(v6: number): (a: DestSortKey, b: DestSortKey) => number {
  return (a, b) => {
    const r = compareAddr(a.af, a.addr, b.addr, v6);
    if (r !== 0) return r;
    return a.port - b.port;
  };
}

/** glibc qsort(): merge sort, halves of n/2 and n - n/2, ties kept in order. */
export function glibcSort<T>(items: T[], cmp: (a: T, b: T) => number): T[] {
  const a = items.slice();
  const tmp = new Array<T>(a.length);
  const sort = (lo: number, n: number): void => {
    if (n <= 1) return;
    const n1 = n >> 1;
    const n2 = n - n1;
    sort(lo, n1);
    sort(lo + n1, n2);
    let i = lo;
    let j = lo + n1;
    const iEnd = lo + n1;
    const jEnd = lo + n;
    let k = 0;
    while (i < iEnd && j < jEnd) tmp[k++] = cmp(a[i]!, a[j]!) <= 0 ? a[i++]! : a[j++]!;
    while (i < iEnd) tmp[k++] = a[i++]!;
    // What is left of the second half is already in place.
    for (let m = 0; m < k; m++) a[lo + m] = tmp[m]!;
  };
  sort(0, a.length);
  return a;
}
