// Per-namespace sysctls through the library, checked with sysctl(8) in the namespace.
import { describe, it, expect, beforeAll } from 'vitest';
import { getSysctl, setSysctl, ValidationError } from '../../lib/index.js';
import { makeNetns, nsExec } from '../helpers/netns.js';

let ns: string;
beforeAll(() => {
  ns = makeNetns('sysctl');
});

describe('sysctl in a namespace', () => {
  it('sets and reads net.* parameters of that namespace only', () => {
    const hostValue = getSysctl('net.ipv4.conf.all.arp_ignore');
    setSysctl('net.ipv4.conf.all.arp_ignore', 1, { netns: ns });
    setSysctl('net.ipv4.conf.all.arp_announce', 2, { netns: ns });
    setSysctl('net.ipv4.ip_forward', '1', { netns: ns });
    expect(nsExec(ns, 'sysctl', '-n', 'net.ipv4.conf.all.arp_ignore').trim()).toBe('1');
    expect(nsExec(ns, 'sysctl', '-n', 'net.ipv4.conf.all.arp_announce').trim()).toBe('2');
    expect(getSysctl('net.ipv4.ip_forward', { netns: ns })).toBe('1');
    // The host's own value did not move.
    expect(getSysctl('net.ipv4.conf.all.arp_ignore')).toBe(hostValue);
  });

  it('rejects keys that could leave /proc/sys, and reports a missing key as ENOENT', () => {
    expect(() => setSysctl('net/../../etc/passwd', 1, { netns: ns })).toThrow(ValidationError);
    expect(() => setSysctl('', 1)).toThrow(ValidationError);
    expect(() => getSysctl('net.ipv4.no_such_key', { netns: ns })).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
