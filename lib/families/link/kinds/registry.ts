// Link kinds register here: how to encode their IFLA_INFO_DATA for create/set,
// and how to decode it on read. One file per kind; an unregistered kind still
// decodes, with its IFLA_INFO_DATA kept raw.
import type { AttrTable } from '../../../codec/reader.js';
import type { MessageWriter } from '../../../codec/writer.js';

export interface LinkKind<Options = unknown, Info = unknown> {
  kind: string;
  /** Writes IFLA_INFO_DATA's contents; only fields the caller set. */
  encode?(w: MessageWriter, options: Options, resolveIndex: (nameOrIndex: string | number, field: string) => number): void;
  /** Decodes IFLA_INFO_DATA. */
  decode(data: AttrTable): Info;
}

const kinds = new Map<string, LinkKind>();

export function registerKind(k: LinkKind<never, unknown>): void {
  kinds.set(k.kind, k as LinkKind);
}

export function linkKind(kind: string): LinkKind | undefined {
  return kinds.get(kind);
}
