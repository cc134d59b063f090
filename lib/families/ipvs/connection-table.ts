// The IPVS connection table. The kernel has no netlink interface for it: the
// entries exist only as text in /proc/net/ip_vs_conn, and in ip_vs_conn_sync,
// which adds whether each entry was made here or learnt from a sync master.
// The format is that of ip_vs_conn_seq_show (net/netfilter/ipvs/ip_vs_conn.c):
//   Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
//   TCP C0000201 D431 C6336401 0050 C0000A0A 0050 ESTABLISHED     899
// IPv4 addresses and all ports are hex; IPv6 addresses use the full %pI6 form
// (2001:0db8:0000:...); the sync file has an Origin column (LOCAL or SYNC)
// before Expires and no persistence-engine columns.
// This module parses; connection-reader.ts opens the table inside a
// namespace and streams it.
import { isIP } from 'node:net';
import { ipFamily, ipToBytes, bytesToIp } from '../../codec/address.js';
import { DecodeError, ValidationError, showValue } from '../../protocol/errors.js';
import type { RequestOptions } from '../../protocol/connection.js';
import type { IpvsProtocol } from './types.js';

/** ip_vs_proto_name() in lower case: 'ip' marks firewall-mark templates; others print as e.g. 'ip_47'. */
export type ConnectionProtocol = IpvsProtocol | 'ip' | 'icmp' | 'icmpv6' | (string & {});

/**
 * The kernel's state name, as ipvsadm -Lc prints it: TCP states (ESTABLISHED,
 * SYN_RECV, FIN_WAIT, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, SYNACK,
 * SYN_SENT, NONE), 'UDP' for every UDP entry, SCTP states, and NONE or
 * ASSURED for persistence templates.
 */
export type ConnectionState =
  | 'NONE' | 'ESTABLISHED' | 'SYN_SENT' | 'SYN_RECV' | 'FIN_WAIT' | 'TIME_WAIT' | 'CLOSE' | 'CLOSE_WAIT'
  | 'LAST_ACK' | 'LISTEN' | 'SYNACK' | 'UDP' | 'ASSURED' | 'INIT1' | 'INIT' | 'COOKIE_SENT' | 'COOKIE_REPLIED'
  | 'COOKIE_WAIT' | 'COOKIE_ECHOED' | 'SHUTDOWN_SENT' | 'SHUTDOWN_RECEIVED' | 'SHUTDOWN_ACK_SENT' | 'REJECTED'
  | 'CLOSED' | (string & {});

export interface ConnectionEndpoint {
  address: string;
  port: number;
}

export interface IpvsConnection {
  protocol: ConnectionProtocol;
  client: ConnectionEndpoint;
  /** The virtual service's address and port. */
  virtual: ConnectionEndpoint;
  /** The real server chosen. */
  destination: ConnectionEndpoint;
  state: ConnectionState;
  /** Seconds until the entry expires. */
  expires: number;
  /** Read from ip_vs_conn_sync only: made here, or received from a sync master. */
  origin?: 'local' | 'sync';
  /**
   * A persistence template (client → real server affinity), which ipvsadm -Lc
   * lists too. /proc prints no flags; templates are the entries whose client
   * port is 0 in state NONE or ASSURED, or whose protocol is 'ip' (fwmark).
   */
  template: boolean;
  /** For a firewall-mark template: the mark, which the kernel keeps in the virtual address. */
  fwmark?: number;
  /** Persistence-engine data (ipvsadm -Lc --persistent-conn), e.g. { name: 'sip', data: '<call id>' }. */
  pe?: { name: string; data: string };
}

export interface ConnectionFilter {
  /** Entries of this virtual address / port / protocol (each part optional). */
  service?: { protocol?: ConnectionProtocol; address?: string; port?: number };
  /** Entries forwarded to this real server. */
  destination?: { address?: string; port?: number };
  /** One state or any of several ('ESTABLISHED', ...). */
  state?: ConnectionState | readonly ConnectionState[];
}

export interface ConnectionListOptions extends RequestOptions {
  filter?: ConnectionFilter;
  /** Read /proc/net/ip_vs_conn_sync: the same entries with their origin (local or sync). */
  sync?: boolean;
  /** Bytes read per chunk (default 256 KiB). */
  chunkSize?: number;
}

export const NL = 0x0a;
const SP = 0x20;
// Not /proc/net: that links to /proc/self/net, the namespace of the process's
// main thread, whereas thread-self follows the helper thread that opens it.

/** An address as parsed: IPv4 as a number (cheap to compare), IPv6 already formatted. */
type RawAddress = number | string;

export type Matcher = (p: TableParser) => boolean;

function addressMatcher(address: string, field: string): (a: RawAddress) => boolean {
  const bytes = ipToBytes(address, field);
  if (ipFamily(address, field) === 4) {
    const n = bytes.readUInt32BE(0);
    return (a) => a === n;
  }
  const text = bytesToIp(bytes);
  return (a) => a === text;
}

function portCheck(port: unknown, field: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new ValidationError(field, `a port from 0 to 65535, got ${String(port)}`);
  }
  return port;
}

/** Tests for the address and port of one side of an entry (virtual or destination). */
function endpointTests(
  e: { address?: string; port?: number } | undefined,
  field: string,
  address: (p: TableParser) => RawAddress,
  port: (p: TableParser) => number,
): Matcher[] {
  const tests: Matcher[] = [];
  if (e?.address !== undefined) {
    const m = addressMatcher(e.address, `${field}.address`);
    tests.push((p) => m(address(p)));
  }
  if (e?.port !== undefined) {
    const want = portCheck(e.port, `${field}.port`);
    tests.push((p) => port(p) === want);
  }
  return tests;
}

/** Validates a filter and turns it into one predicate over the parser's current row. */
export function compileFilter(filter: ConnectionFilter | undefined): Matcher | undefined {
  if (filter === undefined) return undefined;
  const tests: Matcher[] = [
    ...endpointTests(filter.service, 'filter.service', (p) => p.vaddr, (p) => p.vport),
    ...endpointTests(filter.destination, 'filter.destination', (p) => p.daddr, (p) => p.dport),
  ];
  if (filter.service?.protocol !== undefined) {
    const want = String(filter.service.protocol).toLowerCase();
    tests.push((p) => p.protocol === want);
  }
  if (filter.state !== undefined) {
    const states = typeof filter.state === 'string' ? [filter.state] : filter.state;
    if (!Array.isArray(states) || states.some((x) => typeof x !== 'string')) {
      throw new ValidationError('filter.state', 'a state name or an array of them');
    }
    const set = new Set<string>(states);
    tests.push((p) => set.has(p.state));
  }
  if (tests.length === 0) return undefined;
  return (p) => {
    for (const t of tests) if (!t(p)) return false;
    return true;
  };
}

function ipv4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

/**
 * Parses lines of either table into entries, one row at a time into its own
 * fields (no per-line arrays or substrings); only rows that pass the filter
 * become objects. Repeated words (protocols, states) are interned.
 */
export class TableParser {
  protocol = '';
  caddr: RawAddress = 0;
  cport = 0;
  vaddr: RawAddress = 0;
  vport = 0;
  /** The first 32 bits of the virtual address: a fwmark template's mark. */
  vhigh = 0;
  daddr: RawAddress = 0;
  dport = 0;
  state = '';
  origin: 'local' | 'sync' | undefined;
  expires = 0;
  peName = '';
  peData = '';

  private buf!: Buffer;
  private pos = 0;
  private lineEnd = 0;
  private tokStart = 0;
  private readonly words = new Map<number, string>();

  constructor(private readonly match: Matcher | undefined) {}

  /** Appends the entries of every complete line in buf[from, to) to `out`. */
  parse(buf: Buffer, from: number, to: number, out: IpvsConnection[]): void {
    this.buf = buf;
    let start = from;
    while (start < to) {
      let end = buf.indexOf(NL, start);
      if (end < 0 || end > to) end = to;
      if (this.row(start, end) && (this.match === undefined || this.match(this))) out.push(this.entry());
      start = end + 1;
    }
  }

  /** Reads one line into the fields; false for the header and blank lines. */
  private row(start: number, end: number): boolean {
    this.pos = start;
    this.lineEnd = end;
    if (!this.token()) return false;
    // The header starts with "Pro"; every protocol name is upper case with at most one lower-case letter ("ICMPv6").
    if (this.buf[this.tokStart] === 0x50 /* P */ && this.buf[this.tokStart + 1] === 0x72 /* r */) return false;
    this.protocol = this.word(true);
    this.caddr = this.address(false);
    this.cport = this.port();
    this.vaddr = this.address(true);
    this.vport = this.port();
    this.daddr = this.address(false);
    this.dport = this.port();
    this.need('state');
    this.state = this.word(false);
    this.need('expires');
    this.origin = undefined;
    const c = this.buf[this.tokStart]!;
    if (c < 0x30 || c > 0x39) {
      // ip_vs_conn_sync: Origin (SYNC or LOCAL) comes before Expires.
      const len = this.pos - this.tokStart;
      if (len === 4 && c === 0x53 /* S */) this.origin = 'sync';
      else if (len === 5 && c === 0x4c /* L */) this.origin = 'local';
      else throw this.bad('expiry');
      this.need('expires');
    }
    this.expires = this.number(10, 'expiry');
    this.peName = '';
    if (this.token()) {
      this.peName = this.buf.toString('latin1', this.tokStart, this.pos);
      while (this.pos < this.lineEnd && this.buf[this.pos] === SP) this.pos++;
      this.peData = this.buf.toString('utf8', this.pos, this.lineEnd).trimEnd();
    }
    return true;
  }

  /** Moves to the next space-separated token: [tokStart, pos). */
  private token(): boolean {
    const buf = this.buf;
    let i = this.pos;
    while (i < this.lineEnd && buf[i] === SP) i++;
    this.tokStart = i;
    while (i < this.lineEnd && buf[i] !== SP) i++;
    this.pos = i;
    return i > this.tokStart;
  }

  private need(what: string): void {
    if (!this.token()) throw this.bad(`missing ${what}`);
  }

  private bad(detail: string): DecodeError {
    const start = this.buf.lastIndexOf(NL, this.tokStart - 1) + 1;
    return new DecodeError(`IPVS connection table: ${detail} in line ${showValue(this.buf.toString('latin1', start, this.lineEnd))}`);
  }

  /** The current token as a number in base 16 or 10. */
  private number(base: 16 | 10, what: string): number {
    let v = 0;
    for (let i = this.tokStart; i < this.pos; i++) {
      const d = base === 16 ? hexDigit(this.buf[i]!) : this.buf[i]! - 0x30;
      if (d < 0 || d >= base) throw this.bad(`a bad ${what}`);
      v = v * base + d;
    }
    return v;
  }

  private port(): number {
    this.need('port');
    return this.number(16, 'port');
  }

  /** An IPv4 address as 8 hex digits, or an IPv6 one as %pI6 prints it (8 groups of 4). */
  private address(isVirtual: boolean): RawAddress {
    this.need('address');
    if (this.pos - this.tokStart === 8) {
      const v = this.number(16, 'IPv4 address');
      if (isVirtual) this.vhigh = v;
      return v;
    }
    const text = this.buf.toString('latin1', this.tokStart, this.pos);
    if (isIP(text) !== 6) throw this.bad(`address ${showValue(text)}`);
    const bytes = ipToBytes(text, 'address');
    if (isVirtual) this.vhigh = bytes.readUInt32BE(0);
    return bytesToIp(bytes);
  }

  /** The token as a string, interned: the same few words repeat on every line. */
  private word(lower: boolean): string {
    const buf = this.buf;
    let h = lower ? 7 : 3;
    for (let i = this.tokStart; i < this.pos; i++) h = (Math.imul(h, 31) + buf[i]!) | 0;
    const cached = this.words.get(h);
    if (cached !== undefined && cached.length === this.pos - this.tokStart && this.sameWord(cached, lower)) return cached;
    const raw = buf.toString('latin1', this.tokStart, this.pos);
    const word = lower ? raw.toLowerCase() : raw;
    if (this.words.size < 256) this.words.set(h, word);
    return word;
  }

  private sameWord(word: string, lower: boolean): boolean {
    for (let i = 0; i < word.length; i++) {
      let c = this.buf[this.tokStart + i]!;
      if (lower && c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (word.charCodeAt(i) !== c) return false;
    }
    return true;
  }

  /** The current row as an entry (strings and numbers only: nothing points into the read buffer). */
  entry(): IpvsConnection {
    const fwmarkTemplate = this.protocol === 'ip';
    const e: IpvsConnection = {
      protocol: this.protocol,
      client: { address: addressText(this.caddr), port: this.cport },
      virtual: { address: addressText(this.vaddr), port: this.vport },
      destination: { address: addressText(this.daddr), port: this.dport },
      state: this.state,
      expires: this.expires,
      template: fwmarkTemplate || (this.cport === 0 && (this.state === 'NONE' || this.state === 'ASSURED')),
    };
    if (this.origin !== undefined) e.origin = this.origin;
    if (fwmarkTemplate) e.fwmark = this.vhigh;
    if (this.peName !== '') e.pe = { name: this.peName, data: this.peData };
    return e;
  }
}

function addressText(a: RawAddress): string {
  return typeof a === 'number' ? ipv4Text(a) : a;
}

/** Parses the text of either table (header optional) into entries, for fixtures and tests. */
export function parseConnections(text: string | Buffer, filter?: ConnectionFilter): IpvsConnection[] {
  const buf = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  const out: IpvsConnection[] = [];
  new TableParser(compileFilter(filter)).parse(buf, 0, buf.length, out);
  return out;
}
