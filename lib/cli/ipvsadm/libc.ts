// The few C library behaviours that ipvsadm's input and output depend on,
// reproduced so nl-ipvsadm accepts the same strings and prints the same bytes:
// strtol (leading blanks, sign, overflow), inet_aton (the classic 1 to 4 part
// forms, octal and hex), inet_pton/inet_ntop (the BIND algorithms glibc uses)
// and printf-style padding. Node's own parsers are stricter or format
// differently (e.g. "::192.0.2.1"), which would change what ipvsadm accepts.

const C_SPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);

export function isCSpace(code: number): boolean {
  return C_SPACE.has(code);
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

export interface StrtolResult {
  value: bigint;
  /** Index of the first character not converted; 0 when nothing was (C: end == s). */
  end: number;
  /** The number did not fit a 64-bit long (C: errno == ERANGE). */
  overflow: boolean;
}

/** strtol(s, &end, 10) on LP64. */
export function strtol(s: string): StrtolResult {
  let i = 0;
  while (i < s.length && isCSpace(s.charCodeAt(i))) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  const digitsStart = i;
  let value = 0n;
  while (i < s.length && isDigit(s.charCodeAt(i))) {
    value = value * 10n + BigInt(s.charCodeAt(i) - 0x30);
    i++;
  }
  if (i === digitsStart) return { value: 0n, end: 0, overflow: false };
  if (negative) value = -value;
  if (value > LONG_MAX) return { value: LONG_MAX, end: i, overflow: true };
  if (value < LONG_MIN) return { value: LONG_MIN, end: i, overflow: true };
  return { value, end: i, overflow: false };
}

/** ipvsadm's string_to_number(): the whole string a decimal number within [min, max], else -1. */
export function stringToNumber(s: string, min: number, max: number): number {
  const r = strtol(s);
  if (r.end === 0 || r.end !== s.length || r.overflow) return -1;
  if (r.value < BigInt(min) || r.value > BigInt(max)) return -1;
  return Number(r.value);
}

/** True when the whole string is decimal digits (also for ""), as ipvsadm's str_is_digit(). */
export function isAllDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

/** strtoul(s + i, &end, 0) for a string starting with a digit: C's 0x / 0 / decimal prefixes. */
function strtoulAuto(s: string, i: number): { value: bigint; end: number } {
  let base = 10n;
  if (s[i] === '0') {
    const next = s[i + 1];
    if ((next === 'x' || next === 'X') && hexValue(s.charCodeAt(i + 2)) >= 0) {
      base = 16n;
      i += 2;
    } else {
      base = 8n;
    }
  }
  let value = 0n;
  for (; i < s.length; i++) {
    const d = hexValue(s.charCodeAt(i));
    if (d < 0 || BigInt(d) >= base) break;
    value = value * base + BigInt(d);
  }
  return { value, end: i };
}

/**
 * inet_aton(): "a.b.c.d", "a.b.c" (c 16 bits), "a.b" (b 24 bits) or "a", each
 * part decimal, 0octal or 0xhex; text after a blank is ignored. Returns the
 * four address bytes, or undefined.
 */
export function inetAton(s: string): Buffer | undefined {
  const parts: number[] = [];
  let i = 0;
  let val: bigint;
  for (;;) {
    if (!isDigit(s.charCodeAt(i))) return undefined;
    const r = strtoulAuto(s, i);
    if (r.value > 0xffffffffn) return undefined;
    val = r.value;
    i = r.end;
    if (s[i] === '.') {
      if (parts.length > 2 || val > 0xffn) return undefined;
      parts.push(Number(val));
      i++;
    } else {
      break;
    }
  }
  if (i < s.length) {
    const c = s.charCodeAt(i);
    if (c > 0x7f || !isCSpace(c)) return undefined;
  }
  const max = [0xffffffffn, 0xffffffn, 0xffffn, 0xffn][parts.length]!;
  if (val > max) return undefined;
  const out = Buffer.alloc(4);
  parts.forEach((p, k) => (out[k] = p));
  const tail = Number(val);
  out.writeUInt32BE((out.readUInt32BE(0) | tail) >>> 0, 0);
  return out;
}

/** inet_pton(AF_INET, ...): exactly four decimal parts without leading zeros. */
export function inetPton4(s: string): Buffer | undefined {
  const out = Buffer.alloc(4);
  let octets = 0;
  let sawDigit = false;
  let cur = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) {
      if (sawDigit && cur === 0) return undefined;
      cur = cur * 10 + (c - 0x30);
      if (cur > 255) return undefined;
      if (!sawDigit) {
        if (++octets > 4) return undefined;
        sawDigit = true;
      }
    } else if (c === 0x2e && sawDigit) {
      if (octets === 4) return undefined;
      out[octets - 1] = cur;
      cur = 0;
      sawDigit = false;
    } else {
      return undefined;
    }
  }
  if (octets < 4) return undefined;
  out[3] = cur;
  return out;
}

/** inet_pton(AF_INET6, ...), glibc's algorithm (an IPv4 tail allowed; no zone). */
export function inetPton6(s: string): Buffer | undefined {
  const out = Buffer.alloc(16);
  let tp = 0;
  let colonp = -1;
  let i = 0;
  if (s[0] === ':' && s[1] !== ':') return undefined;
  if (s[0] === ':') i = 1;
  let curtok = i;
  let sawXdigit = false;
  let val = 0;
  let ndigits = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const d = hexValue(c);
    if (d >= 0) {
      if (++ndigits > 4) return undefined;
      val = (val << 4) | d;
      sawXdigit = true;
      continue;
    }
    if (c === 0x3a) {
      curtok = i + 1;
      if (!sawXdigit) {
        if (colonp >= 0) return undefined;
        colonp = tp;
        continue;
      }
      if (i + 1 >= s.length) return undefined;
      if (tp + 2 > 16) return undefined;
      out[tp++] = (val >> 8) & 0xff;
      out[tp++] = val & 0xff;
      sawXdigit = false;
      ndigits = 0;
      val = 0;
      continue;
    }
    if (c === 0x2e && tp + 4 <= 16) {
      const v4 = inetPton4(s.slice(curtok));
      if (v4 === undefined) return undefined;
      v4.copy(out, tp);
      tp += 4;
      sawXdigit = false;
      break;
    }
    return undefined;
  }
  if (sawXdigit) {
    if (tp + 2 > 16) return undefined;
    out[tp++] = (val >> 8) & 0xff;
    out[tp++] = val & 0xff;
  }
  if (colonp >= 0) {
    if (tp === 16) return undefined;
    const n = tp - colonp;
    for (let k = 1; k <= n; k++) {
      out[16 - k] = out[colonp + n - k]!;
      out[colonp + n - k] = 0;
    }
    tp = 16;
  }
  return tp === 16 ? out : undefined;
}

/** inet_ntop(): dotted quad for 4 bytes; for 16, glibc's IPv6 form (incl. "::192.0.2.1"). */
export function inetNtop(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const words: number[] = [];
  for (let k = 0; k < 8; k++) words.push((bytes[2 * k]! << 8) | bytes[2 * k + 1]!);
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let k = 0; k < 8; k++) {
    if (words[k] === 0) {
      if (curBase === -1) {
        curBase = k;
        curLen = 1;
      } else {
        curLen++;
      }
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (bestBase !== -1 && k >= bestBase && k < bestBase + bestLen) {
      if (k === bestBase) out += ':';
      continue;
    }
    if (k !== 0) out += ':';
    if (k === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
      break;
    }
    out += words[k]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** inet_ntoa() of an IPv4 address held as a number (0xffffff00 is "255.255.255.0"). */
export function inetNtoa(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/** printf("%-Ns"): left-aligned in at least `width` columns (never cut). */
export function padRight(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

/** printf("%Ns"): right-aligned in at least `width` columns. */
export function padLeft(s: string, width: number): string {
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

/** printf("%d") of a C int holding `n` (an unsigned value above INT_MAX prints negative). */
export function cInt(n: number): string {
  return String(n | 0);
}

/** printf("%02d:%02d") style two-digit zero padding. */
export function twoDigits(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
