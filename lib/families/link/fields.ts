// Table-driven scalar attributes: most IFLA_<KIND>_* attributes are one
// number or boolean. A kind lists them once (key, attribute, wire codec,
// range) and the same table encodes, validates and decodes, so the two
// directions cannot drift apart.
import type { MessageWriter } from '../../codec/writer.js';
import type { AttrTable } from '../../codec/reader.js';
import { checkBool, checkInt } from './common.js';

/**
 * How a value sits on the wire:
 * bool  u8 0/1;  flag  NLA_FLAG (present = true; false is not sendable);
 * u8 u16 u32 s32  host order;  be16  network order;
 * u64  host order, exposed as a JS number (timers, centiseconds).
 */
export type FieldCodec = 'bool' | 'flag' | 'u8' | 'u16' | 'u32' | 's32' | 'be16' | 'u64';

export interface FieldDef<K extends string = string> {
  key: K;
  type: number;
  codec: FieldCodec;
  /** Accepted range for numbers; defaults to the codec's range. */
  min?: number;
  max?: number;
  /** Reported by the kernel, never sent. */
  readOnly?: boolean;
}

const RANGE: Record<Exclude<FieldCodec, 'bool' | 'flag'>, [number, number]> = {
  u8: [0, 0xff],
  u16: [0, 0xffff],
  be16: [0, 0xffff],
  u32: [0, 0xffffffff],
  s32: [-0x80000000, 0x7fffffff],
  u64: [0, Number.MAX_SAFE_INTEGER],
};

/** Validates every value the caller set, without writing (so a batch never holds half a message). */
export function checkFields<K extends string>(defs: readonly FieldDef<K>[], values: Partial<Record<K, unknown>>, prefix: string): void {
  for (const d of defs) {
    const v = values[d.key];
    if (v === undefined || d.readOnly) continue;
    const field = `${prefix}${d.key}`;
    if (d.codec === 'bool' || d.codec === 'flag') checkBool(v, field);
    else {
      const [lo, hi] = RANGE[d.codec];
      checkInt(v, field, d.min ?? lo, d.max ?? hi);
    }
  }
}

/** Writes the attributes whose values the caller set; others are not sent. */
export function writeFields<K extends string>(w: MessageWriter, defs: readonly FieldDef<K>[], values: Partial<Record<K, unknown>>, prefix: string): void {
  checkFields(defs, values, prefix);
  for (const d of defs) {
    const v = values[d.key];
    if (v === undefined || d.readOnly) continue;
    const field = `${prefix}${d.key}`;
    switch (d.codec) {
      case 'bool':
        w.attrU8(d.type, v ? 1 : 0, field);
        break;
      case 'flag':
        if (v) w.attrFlag(d.type, field);
        break;
      case 'u8':
        w.attrU8(d.type, v as number, field);
        break;
      case 'u16':
        w.attrU16(d.type, v as number, field);
        break;
      case 'be16':
        w.attrBe16(d.type, v as number, field);
        break;
      case 'u32':
        w.attrU32(d.type, v as number, field);
        break;
      case 's32':
        w.attrS32(d.type, v as number, field);
        break;
      case 'u64':
        w.attrU64(d.type, BigInt(v as number), field);
        break;
    }
  }
}

/** Reads every attribute of the table that the kernel reported into `out`. */
export function readFields<K extends string>(t: AttrTable, defs: readonly FieldDef<K>[], out: Partial<Record<K, unknown>>): void {
  for (const d of defs) {
    if (!t.has(d.type)) continue;
    let v: number | boolean | undefined;
    switch (d.codec) {
      case 'bool':
        v = t.u8(d.type) !== 0;
        break;
      case 'flag': {
        // Some kernels report a flag attribute as a u8 (vxlan TTL_INHERIT): honour its value.
        const bytes = t.bytes(d.type)!;
        v = bytes.length === 0 || bytes[0] !== 0;
        break;
      }
      case 'u8':
        v = t.u8(d.type);
        break;
      case 'u16':
        v = t.u16(d.type);
        break;
      case 'be16':
        v = t.be16(d.type);
        break;
      case 'u32':
        v = t.u32(d.type);
        break;
      case 's32':
        v = t.s32(d.type);
        break;
      case 'u64': {
        const b = t.bytes(d.type)!;
        // u64 timers; a shorter attribute from an older kernel is read as u32.
        v = b.length >= 8 ? Number(b.readBigUInt64LE(0)) : t.u32(d.type);
        break;
      }
    }
    if (v !== undefined) out[d.key] = v;
  }
}

export function typesOf(defs: readonly FieldDef[], ...extra: number[]): Set<number> {
  return new Set([...defs.map((d) => d.type), ...extra]);
}
