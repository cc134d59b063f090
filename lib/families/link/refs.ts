// Two LinkRefs for the two passes of a link request. Building a message is
// synchronous, but naming another link ("master: 'br0'") needs a lookup and
// naming a namespace needs an open file. So a request is first built into a
// scratch writer with a LinkRefCollector, which validates everything and
// records what must be looked up; the API layer looks those up, and the
// request is built for real with ResolvedLinkRefs.
import { ValidationError, showValue } from '../../protocol/errors.js';
import { netnsPath } from '../../transport/socket.js';
import { validateLinkRef, type LinkRef } from './common.js';
import type { LinkRefs } from './kinds/registry.js';

/** A namespace name or path, as the absolute path to open; a bad one names the field. */
export function namespacePath(netns: unknown, field: string): string {
  if (typeof netns !== 'string' || netns === '') throw new ValidationError(field, 'a namespace is a name from `ip netns` or an absolute path');
  try {
    return netnsPath(netns);
  } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError(field, err.message.replace(/^netns: /, ''));
    throw err;
  }
}

export class LinkRefCollector implements LinkRefs {
  /** Link names to look up, each with the first field that named it. */
  readonly names = new Map<string, string>();
  /** Namespace files to open (absolute paths), each with its field. */
  readonly namespaces = new Map<string, string>();

  index(ref: LinkRef, field: string): number {
    const r = validateLinkRef(ref, field);
    if (typeof r === 'number') return r;
    if (!this.names.has(r)) this.names.set(r, field);
    // A stand-in: this pass only validates and records.
    return 1;
  }

  netnsFd(netns: string, field: string): number {
    const path = namespacePath(netns, field);
    if (!this.namespaces.has(path)) this.namespaces.set(path, field);
    return 0;
  }
}

export class ResolvedLinkRefs implements LinkRefs {
  constructor(
    private readonly indexes: ReadonlyMap<string, number>,
    private readonly fds: ReadonlyMap<string, number> = new Map(),
  ) {}

  index(ref: LinkRef, field: string): number {
    const r = validateLinkRef(ref, field);
    if (typeof r === 'number') return r;
    const index = this.indexes.get(r);
    if (index === undefined) throw new ValidationError(field, `no ifindex was resolved for link ${showValue(r)}`);
    return index;
  }

  netnsFd(netns: string, field: string): number {
    const fd = this.fds.get(namespacePath(netns, field));
    if (fd === undefined) throw new ValidationError(field, `no namespace file was opened for ${showValue(netns)}`);
    return fd;
  }
}
