// Link counters for a chosen set of links, one fixed slot per link, read with
// RTM_GETSTATS asking for IFLA_STATS_LINK_64 only: the kernel fills one
// struct rtnl_link_stats64 per link and nothing else, where RTM_GETLINK would
// build a whole link description. Names are resolved to ifindexes up front
// (resolve()); a link that goes away reads as absent until resolved again.
import { MessageWriter } from '../codec/writer.js';
import type { Connection, RequestOptions } from '../protocol/connection.js';
import { NetlinkError, ValidationError } from '../protocol/errors.js';
import { Links } from '../api/links.js';
import { validateIfname } from '../families/link/link.js';
import { AF_UNSPEC } from '../uapi/linux.js';
import { NLM_F_REQUEST, NLM_F_ACK, NLMSG_ERROR, NLMSG_HDRLEN } from '../uapi/netlink.js';
import { RTM_GETSTATS, RTM_NEWSTATS } from '../uapi/rtnetlink.js';
import { IFLA_STATS_LINK_64, RTNL_LINK_STATS64_FIELDS } from '../uapi/if_link.js';
import { sampleCounter, type ReplyBuffer, type RequestBuffer } from './raw.js';

/** Counters per link slot, in struct rtnl_link_stats64 order. */
export const LINK_COUNTERS = RTNL_LINK_STATS64_FIELDS;
export type LinkCounter = (typeof LINK_COUNTERS)[number];
export const LINK_STRIDE = LINK_COUNTERS.length;

// struct if_stats_msg: family, pad1, pad2 (u16), ifindex, filter_mask.
const IF_STATS_MSG_LEN = 12;
const REQUEST_LEN = NLMSG_HDRLEN + IF_STATS_MSG_LEN;
/** IFLA_STATS_FILTER_BIT(): one bit per IFLA_STATS_* attribute wanted. */
const FILTER_LINK_64 = 1 << (IFLA_STATS_LINK_64 - 1);

/** A link by name or ifindex. */
export type LinkSelector = string | number;

export class LinkSlots {
  /** Names, resolved from ifindexes where the caller gave numbers. */
  readonly names: string[];
  readonly ifindex: Int32Array;
  /** 1 while the last poll read the link. */
  readonly present: Uint8Array;
  readonly counters: BigUint64Array;
  /** Per-second changes of every counter since the previous poll. */
  readonly rates: Float64Array;
  private readonly counters32: Uint32Array;
  /** Sampled at least once since it was (re)resolved: rates need a previous sample. */
  private readonly sampled: Uint8Array;
  private readonly requestLink: Int32Array;
  private requests = 0;
  private readonly attrs = new Int32Array(IFLA_STATS_LINK_64 + 1);

  constructor(private readonly selectors: readonly LinkSelector[]) {
    const n = selectors.length;
    this.names = selectors.map((s, i) => {
      if (typeof s === 'number') {
        if (!Number.isInteger(s) || s <= 0 || s > 0x7fffffff) throw new ValidationError(`links[${i}]`, `an ifindex is a positive integer, got ${s}`);
        // Until resolved, a link given by ifindex is named by it.
        return String(s);
      }
      validateIfname(s, `links[${i}]`);
      return s;
    });
    this.ifindex = new Int32Array(n);
    this.present = new Uint8Array(n);
    this.counters = new BigUint64Array(n * LINK_STRIDE);
    this.counters32 = new Uint32Array(this.counters.buffer);
    this.rates = new Float64Array(n * LINK_STRIDE);
    this.sampled = new Uint8Array(n);
    this.requestLink = new Int32Array(n);
  }

  get count(): number {
    return this.selectors.length;
  }
  /** Bytes the requests of every link take. */
  static requestBytes(links: number): number {
    return links * REQUEST_LEN;
  }
  /** True when some link could not be read (missing at the last resolve or poll). */
  get missing(): boolean {
    for (let i = 0; i < this.present.length; i++) if (this.present[i] === 0) return true;
    return false;
  }

  /** Looks every link up (names → ifindexes, ifindexes → names) and writes the requests. */
  async resolve(conn: Connection, requests: RequestBuffer, options: RequestOptions = {}): Promise<void> {
    const links = new Links(conn);
    this.assign(await Promise.all(this.selectors.map((s) => links.find(s, options))), requests);
  }

  /** Takes the links as found (undefined: no such link) and writes one RTM_GETSTATS request per link found. */
  assign(found: ReadonlyArray<{ index: number; name: string } | undefined>, requests: RequestBuffer): void {
    const w = new MessageWriter(Math.max(64, found.length * REQUEST_LEN));
    this.requests = 0;
    found.forEach((link, i) => {
      if (link === undefined) {
        this.ifindex[i] = 0;
        this.present[i] = 0;
        return;
      }
      if (link.index !== this.ifindex[i]) this.sampled[i] = 0;
      this.ifindex[i] = link.index;
      this.names[i] = link.name;
      this.present[i] = 1;
      w.begin(RTM_GETSTATS, NLM_F_REQUEST | NLM_F_ACK).u8(AF_UNSPEC).u8(0).u16(0).u32(link.index).u32(FILTER_LINK_64);
      w.end(`read the counters of link ${link.name}`);
      this.requestLink[this.requests++] = i;
    });
    if (this.requests > 0) requests.u8.set(w.view());
  }

  /** Sets the sequence numbers of the requests (seq, seq + 1, ...); returns the bytes to send. */
  number(requests: RequestBuffer, seq: number): number {
    for (let i = 0; i < this.requests; i++) requests.setSeq(i * REQUEST_LEN, seq + i);
    return this.requests * REQUEST_LEN;
  }

  /** Reads the replies of an exchange whose requests were numbered from `seq`. */
  read(r: ReplyBuffer, end: number, first: number, seq: number): void {
    for (let p = first; p + NLMSG_HDRLEN <= end; p += (r.msgLen(p) + 3) & ~3) {
      const i = r.msgSeq(p) - seq;
      if (i < 0 || i >= this.requests) continue;
      const link = this.requestLink[i]!;
      const type = r.msgType(p);
      if (type === RTM_NEWSTATS) {
        this.sample(r, p, link);
      } else if (type === NLMSG_ERROR && r.msgErrno(p) < 0) {
        // ENODEV: the link went away (or was renamed and replaced) since it was resolved.
        this.present[link] = 0;
        this.sampled[link] = 0;
      }
    }
  }

  private sample(r: ReplyBuffer, p: number, link: number): void {
    if (!r.scan(p + NLMSG_HDRLEN + IF_STATS_MSG_LEN, p + r.msgLen(p), this.attrs)) {
      throw new NetlinkError({ errno: -74 /* EBADMSG */, operation: `read the counters of link ${this.names[link]}`, reason: 'an attribute overruns the message' });
    }
    const a = this.attrs[IFLA_STATS_LINK_64]!;
    if (a < 0) return;
    // Older kernels send fewer fields; those stay 0.
    const fields = Math.min(LINK_STRIDE, (r.attrLen(a) - 4) >> 3);
    const fresh = this.sampled[link] === 0;
    for (let f = 0; f < fields; f++) {
      const index = link * LINK_STRIDE + f;
      sampleCounter(r, a + 4 + 8 * f, true, this.counters32, index, this.rates, index, fresh);
    }
    this.present[link] = 1;
    this.sampled[link] = 1;
  }
}
