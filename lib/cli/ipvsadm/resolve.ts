// Names, as ipvsadm uses them without -n: host names through the system
// resolver (getnameinfo/getaddrinfo, so /etc/hosts and nsswitch apply as for
// gethostbyaddr/gethostbyname), service names from /etc/services, first
// match wins (getservbyport/getservbyname). Lookups that fail fall back to
// numbers, exactly as ipvsadm does.
import { readFileSync } from 'node:fs';
import { lookup, lookupService } from 'node:dns/promises';
import { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP } from '../../uapi/linux.js';
import { inetNtop } from './libc.js';

export interface Resolver {
  /** gethostbyname(): the first IPv4 address of a host name (4 bytes). */
  hostToAddr(name: string): Promise<Buffer | undefined>;
  /** gethostbyaddr(): the host's name for 4 or 16 address bytes. */
  addrToHost(addr: Buffer): Promise<string | undefined>;
  /** getservbyname(name, proto). */
  serviceToPort(name: string, protocol: number): number | undefined;
  /** getservbyport(port, proto): the official name. */
  portToService(port: number, protocol: number): string | undefined;
}

interface ServiceEntry {
  name: string;
  aliases: string[];
  port: number;
  protocol: string;
}

const PROTOCOL_NAMES: Record<number, string> = { [IPPROTO_TCP]: 'tcp', [IPPROTO_UDP]: 'udp', [IPPROTO_SCTP]: 'sctp' };

/** The lines of /etc/services: "name port/proto [aliases...] [# comment]". */
export function parseServices(text: string): ServiceEntry[] {
  const out: ServiceEntry[] = [];
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#');
    const line = hash >= 0 ? raw.slice(0, hash) : raw;
    const words = line.split(/[ \t\r\v\f]+/).filter((w) => w !== '');
    if (words.length < 2) continue;
    const m = /^(\d+)\/(\S+)$/.exec(words[1]!);
    if (m === null) continue;
    const port = Number(m[1]);
    if (port > 0xffff) continue;
    out.push({ name: words[0]!, aliases: words.slice(2), port, protocol: m[2]! });
  }
  return out;
}

export interface SystemResolverOptions {
  /** Default /etc/services. */
  servicesFile?: string;
}

/** The resolver of the running system, with every answer cached for the life of the command. */
export class SystemResolver implements Resolver {
  private services?: ServiceEntry[];
  private readonly hosts = new Map<string, Promise<string | undefined>>();
  private readonly addrs = new Map<string, Promise<Buffer | undefined>>();

  constructor(private readonly options: SystemResolverOptions = {}) {}

  private table(): ServiceEntry[] {
    if (this.services === undefined) {
      try {
        this.services = parseServices(readFileSync(this.options.servicesFile ?? '/etc/services', 'latin1'));
      } catch {
        this.services = [];
      }
    }
    return this.services;
  }

  serviceToPort(name: string, protocol: number): number | undefined {
    const proto = PROTOCOL_NAMES[protocol];
    if (proto === undefined) return undefined;
    return this.table().find((e) => e.protocol === proto && (e.name === name || e.aliases.includes(name)))?.port;
  }

  portToService(port: number, protocol: number): string | undefined {
    const proto = PROTOCOL_NAMES[protocol];
    if (proto === undefined) return undefined;
    return this.table().find((e) => e.protocol === proto && e.port === port)?.name;
  }

  hostToAddr(name: string): Promise<Buffer | undefined> {
    let p = this.addrs.get(name);
    if (p === undefined) {
      p = name === ''
        ? Promise.resolve(undefined)
        : lookup(name, { family: 4 }).then(
            (r) => Buffer.from(r.address.split('.').map(Number)),
            () => undefined,
          );
      this.addrs.set(name, p);
    }
    return p;
  }

  addrToHost(addr: Buffer): Promise<string | undefined> {
    const text = inetNtop(addr);
    let p = this.hosts.get(text);
    if (p === undefined) {
      p = lookupService(text, 0).then(
        (r) => r.hostname,
        () => undefined,
      );
      this.hosts.set(text, p);
    }
    return p;
  }
}

/** A resolver that knows no names: everything prints as numbers (tests, -n). */
export const NUMERIC_RESOLVER: Resolver = {
  hostToAddr: () => Promise.resolve(undefined),
  addrToHost: () => Promise.resolve(undefined),
  serviceToPort: () => undefined,
  portToService: () => undefined,
};
