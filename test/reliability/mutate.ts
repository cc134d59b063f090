// A seeded random source and the mutations the decoder fuzzer applies to real
// kernel bytes: bit flips, "interesting" lengths written over attribute
// headers, truncation, growth, splices between seeds, and whole attribute
// trees made from nothing. Deterministic for a seed, so a failure replays.

/** xorshift128+ reduced to 32-bit outputs: fast, and the same on every run for one seed. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 spreads a small seed over the state.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
  }

  /** 32 random bits. */
  u32(): number {
    // xoshiro128**
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }

  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Values that tend to break length arithmetic. */
const INTERESTING_U16 = [0, 1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 17, 20, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x4000, 0x7fff, 0x8000, 0x8004, 0xfffc, 0xffff];
const INTERESTING_U32 = [0, 1, 15, 16, 17, 20, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];

type Mutation = (rng: Rng, b: Buffer, others: readonly Buffer[]) => Buffer;

const MUTATIONS: Mutation[] = [
  // Flip a few bits.
  (rng, b) => {
    if (b.length === 0) return b;
    const out = Buffer.from(b);
    for (let n = 1 + rng.below(8); n > 0; n--) out[rng.below(out.length)]! ^= 1 << rng.below(8);
    return out;
  },
  // Overwrite random bytes.
  (rng, b) => {
    if (b.length === 0) return b;
    const out = Buffer.from(b);
    for (let n = 1 + rng.below(4); n > 0; n--) out[rng.below(out.length)] = rng.u32() & 0xff;
    return out;
  },
  // An interesting u16 over what is probably an attribute header (4-aligned offsets).
  (rng, b) => {
    if (b.length < 2) return b;
    const out = Buffer.from(b);
    const at = rng.below(Math.floor(out.length / 4) + 1) * 4;
    if (at + 2 <= out.length) out.writeUInt16LE(rng.pick(INTERESTING_U16), at);
    else out.writeUInt16LE(rng.pick(INTERESTING_U16), out.length - 2);
    return out;
  },
  // An interesting u16 as an attribute type (NLA_F_NESTED and byte-order bits included).
  (rng, b) => {
    if (b.length < 4) return b;
    const out = Buffer.from(b);
    const at = rng.below(Math.floor((out.length - 2) / 4)) * 4 + 2;
    out.writeUInt16LE(rng.chance(0.5) ? rng.below(80) | (rng.chance(0.3) ? 0x8000 : 0) : rng.pick(INTERESTING_U16), at);
    return out;
  },
  // An interesting u32 anywhere (header fields, counters, lengths).
  (rng, b) => {
    if (b.length < 4) return b;
    const out = Buffer.from(b);
    out.writeUInt32LE(rng.pick(INTERESTING_U32), rng.below(out.length - 3));
    return out;
  },
  // Truncate.
  (rng, b) => b.subarray(0, rng.below(b.length + 1)),
  // Grow with random bytes.
  (rng, b) => Buffer.concat([b, rng.bytes(1 + rng.below(64))]),
  // Delete a chunk.
  (rng, b) => {
    if (b.length < 2) return b;
    const from = rng.below(b.length);
    const to = Math.min(b.length, from + 1 + rng.below(32));
    return Buffer.concat([b.subarray(0, from), b.subarray(to)]);
  },
  // Duplicate a chunk in place (repeated attributes).
  (rng, b) => {
    if (b.length < 8) return b;
    const from = rng.below(b.length - 4) & ~3;
    const len = Math.min(b.length - from, 4 + (rng.below(16) << 2));
    return Buffer.concat([b.subarray(0, from + len), b.subarray(from, from + len), b.subarray(from + len)]);
  },
  // Splice in a piece of another seed.
  (rng, b, others) => {
    const o = rng.pick(others);
    if (o.length === 0) return b;
    const from = rng.below(o.length);
    const piece = o.subarray(from, from + 1 + rng.below(Math.min(128, o.length - from)));
    const at = rng.below(b.length + 1);
    return Buffer.concat([b.subarray(0, at), piece, b.subarray(at)]);
  },
];

/** Fixes nlmsg_len to the buffer's length, so the walk accepts it and the decoder sees the damage. */
export function fixLength(b: Buffer): Buffer {
  if (b.length >= 4) b.writeUInt32LE(b.length, 0);
  return b;
}

/** One to four mutations of a seed. */
export function mutate(rng: Rng, seed: Buffer, others: readonly Buffer[]): Buffer {
  let b = seed;
  for (let n = 1 + rng.below(4); n > 0; n--) b = rng.pick(MUTATIONS)(rng, b, others);
  return b === seed ? Buffer.from(seed) : b;
}

/** True when [from, to) is a whole run of attributes (so it is taken for a nest). */
function walks(b: Buffer, from: number, to: number): boolean {
  let pos = from;
  while (pos + 4 <= to) {
    const len = b.readUInt16LE(pos);
    if (len < 4 || pos + len > to) return false;
    pos += (len + 3) & ~3;
  }
  return pos >= to && to - from >= 4;
}

/** Header offsets of the leaf attributes (those whose payload is not itself a run of attributes), nests walked. */
function leafOffsets(b: Buffer, from: number, to: number, out: number[], depth: number): void {
  let pos = from;
  while (pos + 4 <= to) {
    const len = b.readUInt16LE(pos);
    if (len < 4 || pos + len > to) return;
    if (depth > 0 && walks(b, pos + 4, pos + len)) leafOffsets(b, pos + 4, pos + len, out, depth - 1);
    else out.push(pos);
    pos += (len + 3) & ~3;
  }
}

/**
 * Mutations that keep the attribute stream walkable, so the damage reaches the
 * decoders' value handling: payload bytes changed in place, or an attribute's
 * length cut within its padding (a u32 that arrives with 1 byte).
 */
export function mutateValues(rng: Rng, seed: Buffer, attrStart: number): Buffer {
  const out = Buffer.from(seed);
  const offsets: number[] = [];
  leafOffsets(out, Math.min(attrStart, out.length), out.length, offsets, 6);
  if (offsets.length === 0) return out;
  for (let n = 1 + rng.below(3); n > 0; n--) {
    const at = rng.pick(offsets);
    const len = out.readUInt16LE(at);
    if (rng.chance(0.3)) {
      // Shorter, but the same once aligned: the walk still finds the next attribute.
      const aligned = (len + 3) & ~3;
      out.writeUInt16LE(Math.max(4, aligned - 3 + rng.below(3)), at);
    } else if (len > 4) {
      for (let k = 1 + rng.below(4); k > 0; k--) out[at + 4 + rng.below(len - 4)] = rng.chance(0.5) ? rng.pick([0, 0xff, 0x80, 1]) : rng.u32() & 0xff;
    }
  }
  return out;
}

/** A random attribute run: TLVs with random types and sizes, nested up to `depth`. */
export function randomAttributes(rng: Rng, depth: number, budget: number): Buffer {
  const parts: Buffer[] = [];
  let used = 0;
  while (used < budget && rng.chance(0.85)) {
    const type = rng.chance(0.9) ? rng.below(72) : rng.u32() & 0xffff;
    let payload: Buffer;
    if (depth > 0 && rng.chance(0.3)) payload = randomAttributes(rng, depth - 1, Math.min(256, budget - used));
    else payload = rng.bytes(rng.pick([0, 1, 2, 3, 4, 4, 4, 6, 8, 8, 12, 16, 16, 20, 32, rng.below(200)]));
    const len = 4 + payload.length;
    const attr = Buffer.alloc((len + 3) & ~3);
    // Now and then a header that lies about its length.
    attr.writeUInt16LE(rng.chance(0.02) ? rng.pick(INTERESTING_U16) : len, 0);
    attr.writeUInt16LE(type | (rng.chance(0.2) ? 0x8000 : 0), 2);
    payload.copy(attr, 4);
    parts.push(attr);
    used += attr.length;
  }
  return Buffer.concat(parts);
}

/** A whole message made from nothing: a header of `type`, a random family header, random attributes. */
export function randomMessage(rng: Rng, type: number, familyHeader: number): Buffer {
  const header = rng.chance(0.8) ? rng.bytes(familyHeader) : rng.bytes(rng.below(familyHeader + 1));
  const body = Buffer.concat([header, randomAttributes(rng, 4, 1024)]);
  const msg = Buffer.alloc(16 + body.length);
  msg.writeUInt32LE(msg.length, 0);
  msg.writeUInt16LE(type, 4);
  msg.writeUInt16LE(rng.u32() & 0xffff, 6);
  body.copy(msg, 16);
  return msg;
}
