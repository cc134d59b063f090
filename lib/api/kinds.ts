// Typed helpers per link kind: Vxlan.create(rtnl, {...}) resolves with a link
// whose `info` is a VxlanInfo, and so on. They are thin: everything goes
// through rtnl.links, which works for any kind.
import { constants as osConstants } from 'node:os';
import type { Rtnl } from './rtnl.js';
import type { RequestOptions, DumpOptions } from '../protocol/connection.js';
import { NetlinkError, ValidationError } from '../protocol/errors.js';
import { isLinkKind, isPortOf, type LinkOfKind, type PortOfKind, type LinkRef } from '../families/link/link.js';
import type {
  LinkSpec, LinkCommonChanges, BridgeSpec, VxlanSpec, VethSpec, MacvlanSpec, VlanSpec, DummySpec,
  BridgeChanges, VxlanChanges, MacvlanChanges, VlanChanges, ChangeableKind,
} from '../families/link/requests.js';
import type { KnownKind, BridgePortOptions } from '../families/link/kinds/index.js';

const { EINVAL } = osConstants.errno;

/** Anything with rtnl.links: an Rtnl. */
export type LinkHandle = Pick<Rtnl, 'links'>;

export interface KindHelpers<K extends KnownKind, Spec> {
  readonly kind: K;
  /** Creates the link and resolves with it, `info` typed. */
  create(rtnl: LinkHandle, spec: Omit<Spec, 'kind'>, options?: RequestOptions): Promise<LinkOfKind<K>>;
  /** One link of this kind; a link of another kind is a ValidationError. */
  get(rtnl: LinkHandle, nameOrIndex: LinkRef, options?: RequestOptions): Promise<LinkOfKind<K>>;
  /** Every link of this kind (filtered in the kernel). */
  list(rtnl: LinkHandle, options?: DumpOptions): Promise<LinkOfKind<K>[]>;
  delete(rtnl: LinkHandle, nameOrIndex: LinkRef, options?: RequestOptions): Promise<void>;
}

export interface ChangeableKindHelpers<K extends ChangeableKind, Spec, Changes> extends KindHelpers<K, Spec> {
  /** Changes this kind's settings and/or the common ones; fields left out stay as they are. */
  set(rtnl: LinkHandle, nameOrIndex: LinkRef, changes: Omit<Changes, 'kind'> & LinkCommonChanges, options?: RequestOptions): Promise<void>;
}

function helpers<K extends KnownKind, Spec>(kind: K): KindHelpers<K, Spec> {
  const get = async (rtnl: LinkHandle, ref: LinkRef, options?: RequestOptions): Promise<LinkOfKind<K>> => {
    const link = await rtnl.links.get(ref, options);
    if (!isLinkKind(link, kind)) {
      throw new ValidationError('name', `link ${JSON.stringify(ref)} is ${link.kind ? `a ${link.kind}` : 'not a virtual link'}, not a ${kind}`);
    }
    return link;
  };
  return {
    kind,
    async create(rtnl, spec, options) {
      const link = await rtnl.links.create({ ...spec, kind } as unknown as LinkSpec, options);
      return link as LinkOfKind<K>;
    },
    get,
    async list(rtnl, options) {
      const links = await rtnl.links.list({ kind }, options);
      return links.filter((l): l is LinkOfKind<K> => isLinkKind(l, kind));
    },
    delete: (rtnl, ref, options) => rtnl.links.delete(ref, options),
  };
}

function changeable<K extends ChangeableKind, Spec, Changes>(kind: K): ChangeableKindHelpers<K, Spec, Changes> {
  return {
    ...helpers<K, Spec>(kind),
    set: (rtnl, ref, changes, options) => rtnl.links.set(ref, { ...changes, kind } as never, options),
  };
}

export const Vxlan = Object.freeze(changeable<'vxlan', VxlanSpec, VxlanChanges>('vxlan'));
export const Veth = Object.freeze(helpers<'veth', VethSpec>('veth'));
export const Macvlan = Object.freeze(changeable<'macvlan', MacvlanSpec, MacvlanChanges>('macvlan'));
export const Vlan = Object.freeze(changeable<'vlan', VlanSpec, VlanChanges>('vlan'));
export const Dummy = Object.freeze(helpers<'dummy', DummySpec>('dummy'));

/** One bridge and its ports, as `brctl show` lists them. */
export interface BridgeWithPorts {
  bridge: LinkOfKind<'bridge'>;
  ports: PortOfKind<'bridge'>[];
}

const bridgeBase = changeable<'bridge', BridgeSpec, BridgeChanges>('bridge');

export const Bridge = Object.freeze({
  ...bridgeBase,
  /** Enslaves `port` to `bridge` (`brctl addif`). */
  addPort(rtnl: LinkHandle, bridge: LinkRef, port: LinkRef, options?: RequestOptions): Promise<void> {
    return rtnl.links.set(port, { master: bridge }, options);
  },
  /** Releases `port` from `bridge` (`brctl delif`); EINVAL when it is not that bridge's port. */
  async removePort(rtnl: LinkHandle, bridge: LinkRef, port: LinkRef, options?: RequestOptions): Promise<void> {
    const [br, p] = await Promise.all([bridgeBase.get(rtnl, bridge, options), rtnl.links.get(port, options)]);
    if (p.master !== br.index) {
      throw new NetlinkError({ errno: EINVAL, operation: `remove port ${port} from ${bridge}`, reason: `${p.name} is not a port of ${br.name}`, field: 'port' });
    }
    await rtnl.links.set(p.index, { master: null }, options);
  },
  /** A bridge port with its settings typed (`ip -d link show PORT`). */
  async getPort(rtnl: LinkHandle, port: LinkRef, options?: RequestOptions): Promise<PortOfKind<'bridge'>> {
    const link = await rtnl.links.get(port, options);
    if (!isPortOf(link, 'bridge')) throw new ValidationError('port', `link ${JSON.stringify(port)} is not a bridge port`);
    return link;
  },
  /** Sets a port's bridge options (learning, flood, hairpin, isolated, cost, ...). */
  setPort(rtnl: LinkHandle, port: LinkRef, settings: BridgePortOptions, options?: RequestOptions): Promise<void> {
    return rtnl.links.setBridgePort(port, settings, options);
  },
  /** Every bridge with its ports, sorted by name (`brctl show`); one dump. */
  async show(rtnl: LinkHandle, options?: DumpOptions): Promise<BridgeWithPorts[]> {
    const links = await rtnl.links.list({ skipStats: true }, options);
    const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    return links
      .filter((l): l is LinkOfKind<'bridge'> => isLinkKind(l, 'bridge'))
      .sort(byName)
      .map((bridge) => ({
        bridge,
        ports: links.filter((l): l is PortOfKind<'bridge'> => l.master === bridge.index && isPortOf(l, 'bridge')).sort(byName),
      }));
  },
});
