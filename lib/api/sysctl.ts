// Kernel parameters (sysctl) inside a network namespace. net.* parameters are
// per namespace, and /proc/sys/net shows the namespace of whoever opens it, so
// the file is opened from a thread inside the namespace (no `ip netns exec`,
// no shell). The DR tutorial needs arp_ignore/arp_announce, NAT needs ip_forward.
import { closeSync, readSync, writeSync } from 'node:fs';
import { openInNetns } from '../transport/socket.js';
import { ValidationError, NetlinkError } from '../protocol/errors.js';

export interface SysctlOptions {
  /** Namespace name or path; default: the caller's. */
  netns?: string;
}

// Dotted keys as sysctl(8) takes them; '/' separates when a component has a dot (eth0.100).
const SEGMENT = /^[A-Za-z0-9_@:+-][A-Za-z0-9_.@:+-]*$/;

function keyToPath(key: string): string {
  if (typeof key !== 'string' || key === '') throw new ValidationError('key', 'a sysctl key such as net.ipv4.ip_forward');
  const parts = key.includes('/') ? key.split('/') : key.split('.');
  for (const p of parts) {
    if (!SEGMENT.test(p) || p === '.' || p === '..') throw new ValidationError('key', `not a sysctl key: ${JSON.stringify(key)}`);
  }
  return `/proc/sys/${parts.join('/')}`;
}

function wrap(err: unknown, operation: string): never {
  const e = err as NodeJS.ErrnoException;
  if (typeof e.errno === 'number') throw new NetlinkError({ errno: e.errno, operation, syscall: e.syscall ?? 'open' });
  throw err;
}

/** Reads a parameter, trimmed: `await sysctl.get('net.ipv4.ip_forward', { netns })` → '1'. */
export function getSysctl(key: string, options: SysctlOptions = {}): string {
  const path = keyToPath(key);
  let fd: number;
  try {
    fd = openInNetns(options.netns, path);
  } catch (err) {
    wrap(err, `read sysctl ${key}`);
  }
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, null);
    return buf.toString('utf8', 0, n).trim();
  } finally {
    closeSync(fd);
  }
}

/** Sets a parameter: `setSysctl('net.ipv4.conf.all.arp_ignore', 1, { netns: 'real1' })`. */
export function setSysctl(key: string, value: string | number, options: SysctlOptions = {}): void {
  const path = keyToPath(key);
  const text = String(value);
  if (/[\n\0]/.test(text)) throw new ValidationError('value', 'a sysctl value is one line');
  let fd: number;
  try {
    fd = openInNetns(options.netns, path, true);
  } catch (err) {
    wrap(err, `set sysctl ${key}`);
  }
  try {
    writeSync(fd, `${text}\n`);
  } catch (err) {
    wrap(err, `set sysctl ${key}=${text}`);
  } finally {
    closeSync(fd);
  }
}
