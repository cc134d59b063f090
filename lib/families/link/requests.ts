// Builders for RTM_NEWLINK (create, change) and RTM_DELLINK. Each appends
// its message(s) to a caller's MessageWriter, so many link operations can go
// to the kernel in one batch. Only what the caller set is sent. Input is
// validated in full on a scratch writer first: on a ValidationError the
// caller's writer is left exactly as it was.
import { MessageWriter, type WrittenMessage } from '../../codec/writer.js';
import { ValidationError } from '../../protocol/errors.js';
import { validateIfname, validateLinkRef, writeIfinfomsg, checkBool, describeValue, type LinkRef } from './common.js';
import { writeLinkBasics, type LinkBasics } from './basics.js';
import { linkKind, type LinkRefs, type LinkOptionsByKind, type KnownKind, type BridgePortOptions } from './kinds/index.js';
import {
  IFLA_IFNAME, IFLA_LINK, IFLA_MASTER, IFLA_IFALIAS, IFLA_LINKINFO, IFLA_INFO_KIND, IFLA_INFO_DATA,
  IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA,
} from '../../uapi/if_link.js';
import { IFF_UP, IFALIASZ } from '../../uapi/if.js';
import { RTM_NEWLINK, RTM_DELLINK } from '../../uapi/rtnetlink.js';
import { NLM_F_REQUEST, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL } from '../../uapi/netlink.js';

/** Fields every new link may have, whatever its kind. */
export interface LinkCommon extends LinkBasics {
  name: string;
  /** Bring the link up once made. */
  up?: boolean;
  /** Enslave to this bridge (or bond...) once made, by name or ifindex. */
  master?: LinkRef;
  /** Free text (IFLA_IFALIAS), up to 255 bytes. */
  alias?: string;
  /** The lower link (IFLA_LINK): required by macvlan and vlan. */
  link?: LinkRef;
}

type SpecOf<K extends KnownKind> = LinkCommon & { kind: K } & LinkOptionsByKind[K];

export type BridgeSpec = SpecOf<'bridge'>;
export type VxlanSpec = SpecOf<'vxlan'>;
export type VethSpec = SpecOf<'veth'>;
export type MacvlanSpec = SpecOf<'macvlan'>;
export type VlanSpec = SpecOf<'vlan'>;
export type DummySpec = SpecOf<'dummy'>;

/** A link to create: the common fields plus its kind's options, keyed on `kind`. */
export type LinkSpec = BridgeSpec | VxlanSpec | VethSpec | MacvlanSpec | VlanSpec | DummySpec;

/** Kinds whose settings the kernel can change after creation. */
export type ChangeableKind = 'bridge' | 'vxlan' | 'macvlan' | 'vlan';

type KindChangesOf<K extends ChangeableKind> = { kind: K } & Partial<Omit<LinkOptionsByKind[K], 'link'>>;
export type BridgeChanges = KindChangesOf<'bridge'>;
export type VxlanChanges = KindChangesOf<'vxlan'>;
export type MacvlanChanges = KindChangesOf<'macvlan'>;
export type VlanChanges = KindChangesOf<'vlan'>;

export interface LinkCommonChanges {
  /** Rename the link. */
  name?: string;
  up?: boolean;
  mtu?: number;
  mac?: string;
  txqlen?: number;
  /** '' removes the alias. */
  alias?: string;
  /** A new master, by name or ifindex; null releases the link from its master (nomaster). */
  master?: LinkRef | null;
  /** Move the link to this namespace (name or path). */
  netns?: string;
  /** This link's settings as a port of its bridge (IFLA_INFO_SLAVE_DATA). */
  bridgePort?: BridgePortOptions;
}

/** Changes to a link; with `kind`, also that kind's settings (vxlan, bridge, ...). */
export type LinkChanges = LinkCommonChanges & (BridgeChanges | VxlanChanges | MacvlanChanges | VlanChanges | { kind?: undefined });

const WRITE_FLAGS = NLM_F_REQUEST | NLM_F_ACK;

/** Runs `build` on a scratch writer (validation), then on `w`; returns the messages it added. */
function writeAtomically(w: MessageWriter, build: (w: MessageWriter) => void): WrittenMessage[] {
  build(new MessageWriter(512));
  const before = w.count;
  build(w);
  return w.messagesFrom(before);
}

function checkAlias(alias: unknown): Buffer {
  if (typeof alias !== 'string') throw new ValidationError('alias', `must be a string, got ${describeValue(alias)}`);
  const bytes = Buffer.from(alias);
  if (bytes.length >= IFALIASZ) throw new ValidationError('alias', `is at most ${IFALIASZ - 1} bytes, got ${bytes.length}`);
  if (bytes.includes(0)) throw new ValidationError('alias', 'must not contain NUL');
  return bytes;
}

function checkKind(kind: unknown): string {
  if (typeof kind !== 'string' || kind === '' || Buffer.byteLength(kind) > 64 || kind.includes('\0')) {
    throw new ValidationError('kind', `a link kind is a short string such as "vxlan", got ${describeValue(kind)}`);
  }
  return kind;
}

function checkObject(o: unknown, field: string): void {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new ValidationError(field, 'must be an object');
}

/**
 * Appends the RTM_NEWLINK that creates `spec` (NLM_F_CREATE | NLM_F_EXCL). The
 * kernel ignores an alias given at creation, so an `alias` adds a second
 * message that sets it (and moves the link to `netns`, if given).
 */
export function writeLinkCreate(w: MessageWriter, spec: LinkSpec, refs: LinkRefs): WrittenMessage[] {
  return writeAtomically(w, (x) => buildCreate(x, spec, refs));
}

function buildCreate(w: MessageWriter, spec: LinkSpec, refs: LinkRefs): void {
  checkObject(spec, 'spec');
  const kind = checkKind(spec.kind);
  const name = validateIfname(spec.name, 'name');
  const aliasAfter = spec.alias !== undefined;
  if (aliasAfter) checkAlias(spec.alias);
  const up = spec.up === undefined ? undefined : checkBool(spec.up, 'up');
  w.begin(RTM_NEWLINK, WRITE_FLAGS | NLM_F_CREATE | NLM_F_EXCL);
  writeIfinfomsg(w, 0, up ? IFF_UP : 0, up === undefined ? 0 : IFF_UP);
  writeLinkBasics(w, { ...spec, netns: aliasAfter ? undefined : spec.netns }, refs);
  if (spec.link !== undefined) w.attrU32(IFLA_LINK, refs.index(spec.link, 'link'), 'link');
  if (spec.master !== undefined) w.attrU32(IFLA_MASTER, refs.index(spec.master, 'master'), 'master');
  const info = w.nest(IFLA_LINKINFO);
  w.attrString(IFLA_INFO_KIND, kind, 'kind');
  const k = linkKind(kind);
  if (k?.encode) {
    const data = w.nest(IFLA_INFO_DATA);
    k.encode(w, spec, refs, 'create');
    w.endNest(data);
  }
  w.endNest(info);
  w.end(`create link ${name} (${kind})`);
  if (aliasAfter) buildSet(w, name, { alias: spec.alias, netns: spec.netns }, refs);
}

/** Appends the RTM_NEWLINK that applies `changes` to an existing link. */
export function writeLinkSet(w: MessageWriter, link: LinkRef, changes: LinkChanges, refs: LinkRefs): WrittenMessage[] {
  return writeAtomically(w, (x) => buildSet(x, link, changes, refs));
}

function buildSet(w: MessageWriter, link: LinkRef, changes: LinkChanges, refs: LinkRefs): void {
  const ref = validateLinkRef(link, 'link');
  checkObject(changes, 'changes');
  const rename = changes.name === undefined ? undefined : validateIfname(changes.name, 'name');
  // By name the kernel finds the link through IFLA_IFNAME, which a rename needs for the new name.
  const index = typeof ref === 'number' ? ref : rename !== undefined && rename !== ref ? refs.index(ref, 'link') : 0;
  const up = changes.up === undefined ? undefined : checkBool(changes.up, 'up');
  w.begin(RTM_NEWLINK, WRITE_FLAGS);
  writeIfinfomsg(w, index, up ? IFF_UP : 0, up === undefined ? 0 : IFF_UP);
  if (index === 0) w.attrString(IFLA_IFNAME, ref as string, 'link');
  writeLinkBasics(w, { ...changes, name: index === 0 ? undefined : rename }, refs);
  if (changes.alias !== undefined) w.attrBytes(IFLA_IFALIAS, checkAlias(changes.alias), 'alias');
  if (changes.master !== undefined) {
    w.attrU32(IFLA_MASTER, changes.master === null ? 0 : refs.index(changes.master, 'master'), 'master');
  }
  if (changes.kind !== undefined || changes.bridgePort !== undefined) {
    const info = w.nest(IFLA_LINKINFO);
    if (changes.kind !== undefined) {
      const kind = checkKind(changes.kind);
      const k = linkKind(kind);
      if (!k?.encode || !k.changeable) throw new ValidationError('kind', `the kernel cannot change the settings of a ${kind} link after creation`);
      w.attrString(IFLA_INFO_KIND, kind, 'kind');
      const data = w.nest(IFLA_INFO_DATA);
      k.encode(w, changes, refs, 'change');
      w.endNest(data);
    }
    if (changes.bridgePort !== undefined) {
      checkObject(changes.bridgePort, 'bridgePort');
      w.attrString(IFLA_INFO_SLAVE_KIND, 'bridge', 'bridgePort');
      const data = w.nest(IFLA_INFO_SLAVE_DATA, 'bridgePort');
      linkKind('bridge:port')!.encode!(w, changes.bridgePort, refs, 'change');
      w.endNest(data);
    }
    w.endNest(info);
  }
  w.end(`set link ${String(link)}`);
}

/** Appends the RTM_DELLINK for a link (a veth's peer goes with it). */
export function writeLinkDelete(w: MessageWriter, link: LinkRef): WrittenMessage[] {
  return writeAtomically(w, (x) => {
    const ref = validateLinkRef(link, 'link');
    x.begin(RTM_DELLINK, WRITE_FLAGS);
    writeIfinfomsg(x, typeof ref === 'number' ? ref : 0);
    if (typeof ref === 'string') x.attrString(IFLA_IFNAME, ref, 'link');
    x.end(`delete link ${ref}`);
  });
}
