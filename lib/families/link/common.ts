// What every link request shares: the ifinfomsg header, interface names and
// indexes, and the checks that turn bad input into a ValidationError naming
// the caller's field before a byte is sent.
import type { MessageWriter } from '../../codec/writer.js';
import { ValidationError, showValue } from '../../protocol/errors.js';
import { IFNAMSIZ } from '../../uapi/if.js';
import { AF_UNSPEC } from '../../uapi/linux.js';

// The last name found valid: a batch of 50k FDB entries names one device 50k
// times, and each check cost its regular expression 56 bytes of garbage.
let lastValidIfname: string | undefined;

/** Interface names: 1 to 15 bytes, no '/', ':' or whitespace, not '.' or '..'. */
export function validateIfname(name: unknown, field = 'name'): string {
  if (lastValidIfname !== undefined && name === lastValidIfname) return lastValidIfname;
  if (typeof name !== 'string') throw new ValidationError(field, 'an interface name must be a string');
  const bytes = Buffer.byteLength(name);
  if (bytes === 0 || bytes >= IFNAMSIZ) throw new ValidationError(field, `an interface name has 1 to ${IFNAMSIZ - 1} bytes, got ${bytes}: ${showValue(name)}`);
  if (/[\s/:]/.test(name) || name === '.' || name === '..' || name.includes('\0')) {
    throw new ValidationError(field, `not a valid interface name: ${showValue(name)}`);
  }
  lastValidIfname = name;
  return name;
}

export function validateIfindex(index: unknown, field = 'index'): number {
  if (typeof index !== 'number' || !Number.isInteger(index) || index <= 0 || index > 0x7fffffff) {
    throw new ValidationError(field, `an interface index is a positive integer, got ${String(index)}`);
  }
  return index;
}

/** A link named by the caller: an interface name or an ifindex. */
export type LinkRef = string | number;

export function validateLinkRef(ref: unknown, field: string): LinkRef {
  return typeof ref === 'number' ? validateIfindex(ref, field) : validateIfname(ref, field);
}

/** Writes a struct ifinfomsg. */
export function writeIfinfomsg(w: MessageWriter, index = 0, flags = 0, change = 0, family = AF_UNSPEC): void {
  w.u8(family).u8(0).u16(0).i32(index).u32(flags).u32(change);
}

/** An integer in [min, max], or a ValidationError naming the field. */
export function checkInt(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ValidationError(field, `must be an integer from ${min} to ${max}, got ${describeValue(v)}`);
  }
  return v;
}

export function checkBool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw new ValidationError(field, `must be true or false, got ${describeValue(v)}`);
  return v;
}

export function checkOneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ValidationError(field, `must be one of ${allowed.map((a) => showValue(a)).join(', ')}, got ${describeValue(v)}`);
  }
  return v as T;
}

export function describeValue(v: unknown): string {
  return typeof v === 'number' || typeof v === 'boolean' || v === undefined ? String(v) : showValue(v);
}

/** Looks up a key in a literal-keyed table, inverted: value → key. */
export function keyOf<K extends string>(table: Record<K, number>, value: number): K | undefined {
  for (const k of Object.keys(table) as K[]) if (table[k] === value) return k;
  return undefined;
}
