// Integer reads by index, for the decoders' inner loops. Buffer's read
// methods check their arguments on every call, and once a function has used
// up V8's inlining budget they are real calls: the IPVS stats walk took
// ~0.9 µs per nest with readUInt16LE/readUInt32LE and ~0.2 µs with these
// (host, 100k nests). The caller has checked that the bytes are there: past
// the end these read zeros instead of throwing.

export function u16le(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

export function u16be(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

export function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

export function s32le(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
}

export function u32be(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}
