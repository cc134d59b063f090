// dummy (kind "dummy"): a link that drops everything it is given. It has no
// IFLA_INFO_DATA (drivers/net/dummy.c registers no policy); only the common
// link attributes apply.
import { registerKind, type LinkKind, type UnknownAttributes } from './registry.js';

/** dummy reports no settings; anything a kernel adds stays raw. */
export type DummyInfo = UnknownAttributes;

/** dummy takes no options of its own. */
export type DummyOptions = Record<never, never>;

export const dummyKind: LinkKind<DummyOptions, DummyInfo> = {
  kind: 'dummy',
  changeable: false,
  decode(t) {
    const unknown = t.unknown(new Set());
    return unknown ? { unknown } : {};
  },
};

registerKind(dummyKind);
