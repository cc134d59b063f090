// Link kinds register here: how to encode their IFLA_INFO_DATA for create/set,
// and how to decode it on read. One file per kind; an unregistered kind still
// decodes, with its IFLA_INFO_DATA kept raw. A master's per-port data
// (IFLA_INFO_SLAVE_DATA) registers as '<master kind>:port'.
import type { AttrTable, RawAttribute } from '../../../codec/reader.js';
import type { MessageWriter } from '../../../codec/writer.js';
import type { LinkRef } from '../common.js';

/**
 * Turns the caller's references into what the kernel takes. Builders are
 * synchronous, so the API layer looks names up (and opens namespace files)
 * before building; a first pass with a recording LinkRefs finds what is needed.
 */
export interface LinkRefs {
  /** The ifindex of a link the caller named by name or index. */
  index(ref: LinkRef, field: string): number;
  /** An open file descriptor for a network namespace (name under /run/netns, or a path). */
  netnsFd(netns: string, field: string): number;
}

/** A new link, or changes to an existing one (the kernel's newlink vs changelink). */
export type KindMode = 'create' | 'change';

export interface LinkKind<Options = unknown, Info = unknown> {
  kind: string;
  /**
   * Writes IFLA_INFO_DATA's contents: only the fields the caller set. It
   * validates everything it reads and may throw ValidationError.
   */
  encode?(w: MessageWriter, options: Options, refs: LinkRefs, mode: KindMode): void;
  /** False when the kernel has no changelink for this kind (veth, dummy). */
  changeable?: boolean;
  /** Decodes IFLA_INFO_DATA; attributes the kind does not know go to `unknown`, raw. */
  decode(data: AttrTable): Info;
}

/** Every decoded kind's info may carry attributes this library does not know, raw. */
export interface UnknownAttributes {
  unknown?: RawAttribute[];
}

const kinds = new Map<string, LinkKind>();

export function registerKind(k: LinkKind<never, unknown>): void {
  kinds.set(k.kind, k as LinkKind);
}

export function linkKind(kind: string): LinkKind | undefined {
  return kinds.get(kind);
}
