// nl-ipvsadm without a kernel: the C library behaviours it reproduces, popt's
// scanning rules, ipvsadm's grammar and messages, the listing formats and
// their sort order, restore's line splitting and up-front checking, --json,
// and the help text. The byte-for-byte comparisons with the real ipvsadm run
// in test/uml/nl-ipvsadm*.test.ts.
import { describe, it, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inetAton, inetPton6, inetNtop, stringToNumber, strtol } from '../../lib/cli/ipvsadm/libc.js';
import { PoptScanner, type OptionSpec } from '../../lib/cli/ipvsadm/popt.js';
import { parseCommandLine } from '../../lib/cli/ipvsadm/args.js';
import { CliError, FMT, type ParsedCommand } from '../../lib/cli/ipvsadm/command.js';
import { NUMERIC_RESOLVER, SystemResolver, parseServices, type Resolver } from '../../lib/cli/ipvsadm/resolve.js';
import { compareServices, glibcSort, type ServiceSortKey } from '../../lib/cli/ipvsadm/sort.js';
import { daemonLines, largeNum, listAll, NO_NAMES, timeoutLine } from '../../lib/cli/ipvsadm/format.js';
import { serviceRow } from '../../lib/cli/ipvsadm/model.js';
import { connectionLine, connectionHeader } from '../../lib/cli/ipvsadm/conntable.js';
import { progressFor, restore, splitLines } from '../../lib/cli/ipvsadm/restore.js';
import { stringify } from '../../lib/cli/ipvsadm/json.js';
import { ipvsStrerror, strerror } from '../../lib/cli/ipvsadm/strerror.js';
import { main } from '../../lib/cli/ipvsadm/main.js';
import type { Session } from '../../lib/cli/ipvsadm/execute.js';
import type { IpvsStats, ServiceWithDestinations } from '../../lib/families/ipvs/types.js';

const hex = (b: Buffer | undefined): string | undefined => b?.toString('hex');

describe('C library behaviours', () => {
  it('inet_aton takes 1 to 4 parts, octal and hex, and ignores text after a blank', () => {
    expect(hex(inetAton('192.0.2.1'))).toBe('c0000201');
    expect(hex(inetAton('1'))).toBe('00000001');
    expect(hex(inetAton('127.1'))).toBe('7f000001');
    expect(hex(inetAton('10.1.258'))).toBe('0a010102');
    expect(hex(inetAton('0x7f.010.0.1'))).toBe('7f080001');
    expect(hex(inetAton('192.0.2.1 trailing'))).toBe('c0000201');
    for (const bad of ['', '192.0.2.256', '1.2.3.4.5', '08.1.1.1', '1.2.3.', 'a.b.c.d', '1.2.3.4x', '0x', '4294967296', '1.16777216']) {
      expect(inetAton(bad), bad).toBeUndefined();
    }
    expect(hex(inetAton('4294967295'))).toBe('ffffffff');
  });

  it('inet_pton(AF_INET6) as glibc, and inet_ntop prints as glibc', () => {
    expect(hex(inetPton6('2001:db8::1'))).toBe('20010db8000000000000000000000001');
    expect(hex(inetPton6('::ffff:192.0.2.1'))).toBe('00000000000000000000ffffc0000201');
    expect(hex(inetPton6('::'))).toBe('0'.repeat(32));
    for (const bad of ['', ':', ':1', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '2001:db8::1%eth0', '::01.2.3.4', '1:2:3:4:5:6:7::8', '1:']) {
      expect(inetPton6(bad), bad).toBeUndefined();
    }
    expect(inetNtop(inetPton6('2001:db8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
    expect(inetNtop(inetPton6('2001:db8::')!)).toBe('2001:db8::');
    expect(inetNtop(inetPton6('::192.0.2.1')!)).toBe('::192.0.2.1');
    expect(inetNtop(inetPton6('::ffff:c000:201')!)).toBe('::ffff:192.0.2.1');
    expect(inetNtop(inetPton6('::1')!)).toBe('::1');
    expect(inetNtop(inetPton6('1:0:2:0:3:0:4:0')!)).toBe('1:0:2:0:3:0:4:0');
    expect(inetNtop(Buffer.from([198, 51, 100, 7]))).toBe('198.51.100.7');
  });

  it('strtol and ipvsadm string_to_number: blanks before, sign, nothing after, range', () => {
    expect(strtol(' -42x')).toEqual({ value: -42n, end: 4, overflow: false });
    expect(strtol('99999999999999999999').overflow).toBe(true);
    expect(stringToNumber(' +7', 0, 10)).toBe(7);
    expect(stringToNumber('-0', 0, 10)).toBe(0);
    expect(stringToNumber('7 ', 0, 10)).toBe(-1);
    expect(stringToNumber('', 0, 10)).toBe(-1);
    expect(stringToNumber('11', 0, 10)).toBe(-1);
  });
});

describe('popt scanning', () => {
  const table: OptionSpec<string>[] = [
    { long: 'list', short: 'L', arg: 'none', val: 'L' },
    { long: 'numeric', short: 'n', arg: 'none', val: 'n' },
    { long: 'weight', short: 'w', arg: 'required', val: 'w' },
    { long: 'persistent', short: 'p', arg: 'optional', val: 'p' },
  ];
  const scan = (...argv: string[]): string[] => {
    const s = new PoptScanner(['prog', ...argv], table);
    const out: string[] = [];
    for (;;) {
      const ev = s.nextOption();
      if (ev.kind === 'end') break;
      if (ev.kind === 'error') {
        out.push(`error ${ev.error} at ${s.badOption()}`);
        break;
      }
      out.push(`${ev.val}=${ev.arg}`);
    }
    return [...out, `left ${s.leftovers.join(',')}`];
  };

  it('clusters, attached and separate arguments, optional ones, leftovers and "--"', () => {
    expect(scan('-Lnw5')).toEqual(['L=null', 'n=null', 'w=5', 'left ']);
    expect(scan('-w', '-1', 'x', '--weight=3')).toEqual(['w=-1', 'w=3', 'left x']);
    expect(scan('-p', '-n', '-p', '30', '-p=7')).toEqual(['p=null', 'n=null', 'p=30', 'p=7', 'left ']);
    expect(scan('-L', '--', '-n', '-')).toEqual(['L=null', 'left -n,-']);
  });

  it('errors name the word they came from', () => {
    expect(scan('-Lq')).toEqual(['L=null', 'error badopt at -Lq', 'left ']);
    expect(scan('--lis')).toEqual(['error badopt at --lis', 'left ']);
    expect(scan('-L', '-w')).toEqual(['L=null', 'error noarg at -w', 'left ']);
    expect(scan('--list=1')).toEqual(['error unwantedarg at --list=1', 'left ']);
    expect(scan('-nlist')).toEqual(['n=null', 'error badopt at -nlist', 'left ']);
  });
});

async function parse(...args: string[]): Promise<ParsedCommand> {
  const r = await parseCommandLine(['ipvsadm', ...args], NUMERIC_RESOLVER);
  if (r.kind !== 'command') throw new Error(r.kind);
  return r;
}

async function failure(...args: string[]): Promise<[number, string]> {
  try {
    await parseCommandLine(['ipvsadm', ...args], NUMERIC_RESOLVER);
  } catch (err) {
    if (err instanceof CliError) return [err.exitCode, err.text];
    throw err;
  }
  throw new Error(`parsed: ${args.join(' ')}`);
}

describe("ipvsadm's grammar", () => {
  it('reads services, servers and their options as ipvsadm does', async () => {
    const a = await parse('-A', '-t', '192.0.2.1:80', '-p', '-M', '255.255.255.0', '-b', 'sh-port', '-s', 'sh');
    expect(a.svc).toMatchObject({ af: 2, protocol: 6, port: 80, sched: 'sh', timeout: 360, netmask: 0xffffff00, flags: 0x1 | 0x10 });
    const v6 = await parse('-A', '-u', '[2001:db8::1]:53', '-M', '64', '-p', '10');
    expect(v6.svc).toMatchObject({ af: 10, protocol: 17, port: 53, netmask: 64, timeout: 10, sched: 'wlc' });
    const d = await parse('-a', '-t', '192.0.2.1:80', '-r', '192.0.2.10:8080', '-m', '-w', '2147483647', '-x', '9', '-y', '3');
    expect(d.dest).toMatchObject({ af: 2, port: 8080, fwd: 0, weight: 2147483647, upperThreshold: 9, lowerThreshold: 3 });
    // Direct routing keeps the service's port whatever -r says.
    expect((await parse('-a', '-t', '192.0.2.1:80', '-r', '192.0.2.10:8080')).dest.port).toBe(80);
    const f = await parse('-a', '-f', '7', '-6', '-r', '[2001:db8::5]:9', '-i', '--tun-type', 'gue', '--tun-port', '6080', '--tun-remcsum');
    expect(f.svc).toMatchObject({ fwmark: 7, af: 10 });
    expect(f.dest).toMatchObject({ af: 10, port: 9, fwd: 2, tunType: 1, tunPort: 6080, tunFlags: 2 });
    expect((await parse('--set', '1', '2', '3')).timeouts).toEqual({ tcp: 1, tcpFin: 2, udp: 3 });
    const dm = await parse('--start-daemon', 'backup', '--mcast-group', 'ff02::81', '--syncid', '9');
    expect(dm.daemon).toMatchObject({ state: 2, ifname: 'eth0', syncId: 9, groupAf: 10 });
    expect((await parse('-Ln', '--stats', '--exact', '--nosort')).format).toBe(FMT.NUMERIC | FMT.STATS | FMT.EXACT | FMT.NOSORT);
    // inet_aton's short forms, and a bracketed IPv4 address ignores its port.
    expect(hex((await parse('-A', '-t', '127.1:80')).svc.addr.subarray(0, 4))).toBe('7f000001');
    expect((await parse('-L', '-t', '[192.0.2.1]:80')).svc.port).toBe(0);
  });

  it("complains in ipvsadm's words, with its exit statuses", async () => {
    expect(await failure('-Q')).toEqual([255, "Try `ipvsadm -h' or 'ipvsadm --help' for more information."]);
    expect(await failure('-L', '--foo')).toEqual([255, '--foo: unknown option']);
    expect(await failure('-A', '-t')).toEqual([255, '-t: missing argument']);
    expect(await failure('-A')).toEqual([2, "You need to supply the 'service-address' option for the 'add-service' command"]);
    expect(await failure('-L', '-c', '-t', '192.0.2.1:80')).toEqual([2, "The option 'service-address' conflicts with the 'connection' option in the 'list' command"]);
    expect(await failure('-A', '-t', '192.0.2.1:80', '-6')).toEqual([2, '-6 used before -f\n']);
    expect(await failure('-A', '-t', '192.0.2.1')).toEqual([2, 'Zero port specified for non-persistent service']);
    expect(await failure('-A', '-t', '192.0.2.1:80', '-o')).toEqual([2, 'One-Packet Scheduling is only for UDP virtual services']);
    expect(await failure('-a', '-t', '192.0.2.1:80', '-r', '2001:db8::1')).toEqual([2, 'Different address family is allowed only for tunneling servers']);
    expect(await failure('-a', '-t', '192.0.2.1:80', '-r', '192.0.2.2', '-i', '--tun-type', 'gue')).toEqual([2, "You need to supply the 'tun-port' option for the 'gue' tunnel type"]);
    expect(await failure('-L', '--start-daemon', 'master')).toEqual([2, "invalid option `master'"]);
    expect(await failure('--set', '1', '2', '3', '4')).toEqual([2, 'unexpected argument 4']);
    expect(await failure('-L', '--json', '--timeout', '--stats')).toEqual([2, 'options conflicts in the list command']);
    expect(await failure('-S', '--json')).toEqual([2, "Illegal 'json' option with the 'save' command"]);
  });

  it('looks host and service names up through the resolver', async () => {
    const resolver: Resolver = {
      ...NUMERIC_RESOLVER,
      hostToAddr: async (name) => (name === 'www.example' ? Buffer.from([192, 0, 2, 1]) : undefined),
      serviceToPort: (name, proto) => (name === 'http' && proto === 6 ? 80 : undefined),
    };
    const r = await parseCommandLine(['ipvsadm', '-A', '-t', 'www.example:http'], resolver);
    expect((r as ParsedCommand).svc).toMatchObject({ port: 80 });
    expect(hex((r as ParsedCommand).svc.addr.subarray(0, 4))).toBe('c0000201');
    await expect(parseCommandLine(['ipvsadm', '-A', '-u', 'www.example:http'], resolver)).rejects.toMatchObject({ text: 'illegal virtual server address[:port] specified' });
  });
});

describe('names', () => {
  it('reads /etc/services: first match wins, aliases count', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nl-ipvsadm-'));
    const file = join(dir, 'services');
    writeFileSync(file, '# comment\nhttp\t80/tcp\twww # WorldWideWeb\nhttp\t80/udp\nalt\t80/tcp\nsip 5060/udp\n\nbad line\n');
    const r = new SystemResolver({ servicesFile: file });
    expect(r.portToService(80, 6)).toBe('http');
    expect(r.serviceToPort('www', 6)).toBe(80);
    expect(r.serviceToPort('sip', 6)).toBeUndefined();
    expect(r.portToService(5060, 17)).toBe('sip');
    expect(r.portToService(80, 0)).toBeUndefined();
    expect(parseServices('x 70000/tcp\n')).toEqual([]);
  });
});

describe('sort order', () => {
  const svc = (fwmark: number, af = 2, protocol = 6, ip = 0, port = 0): ServiceSortKey => {
    const addr = Buffer.alloc(16);
    addr.writeUInt32BE(ip >>> 0, 0);
    return { fwmark, af, protocol, addr, port };
  };

  it('is a merge sort with ipvsadm keys: fwmark, family, protocol, address, port', () => {
    const items = [svc(0, 2, 17, 0xc0000201, 80), svc(0, 2, 6, 0xc0000201, 81), svc(0, 2, 6, 0xc0000201, 80), svc(0, 10), svc(1), svc(0, 2, 6, 0xc0000200, 80)];
    const sorted = glibcSort(items, compareServices(10));
    expect(sorted.map((s) => items.indexOf(s))).toEqual([5, 2, 1, 0, 3, 4]);
  });

  it('reads unsigned differences as int, as ipvsadm: a fwmark above 2^31 sorts first', () => {
    const items = [svc(2), svc(0, 2, 6, 0xc0000201, 80), svc(3_000_000_000)];
    expect(glibcSort(items, compareServices(10)).map((s) => s.fwmark)).toEqual([3_000_000_000, 0, 2]);
    // Addresses too: 10.0.0.1 - 200.0.0.1 is positive as an int.
    const low = svc(0, 2, 6, 0x0a000001, 80);
    const high = svc(0, 2, 6, 0xc8000001, 80);
    expect(glibcSort([low, high], compareServices(10))).toEqual([high, low]);
  });
});

const zero = (): IpvsStats => ({ connections: 0n, inPackets: 0n, outPackets: 0n, inBytes: 0n, outBytes: 0n, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n });
const flags = { onePacket: false, shFallback: false, shPort: false, mhFallback: false, mhPort: false };

describe('listing formats', () => {
  it('print_largenum: 9 columns, then K, M, G, T; --exact prints whole numbers', () => {
    expect(largeNum(99_999_999n, 0)).toBe(' 99999999');
    expect(largeNum(100_000_000n, 0)).toBe('  100000K');
    expect(largeNum(999_999_999n, 0)).toBe('  999999K');
    expect(largeNum(1_000_000_000n, 0)).toBe('    1000M');
    expect(largeNum(100_000_000_000n, 0)).toBe('     100G');
    expect(largeNum(100_000_000_000_000n, 0)).toBe('     100T');
    expect(largeNum(5n, FMT.EXACT)).toBe('        5');
    expect(largeNum(123_456_789_012n, FMT.EXACT)).toBe(' 123456789012');
  });

  it('services, servers, flags, persistence, truncation and odd values', () => {
    const svc: ServiceWithDestinations = {
      protocol: 'udp', address: '192.0.2.1', port: 53, family: 4, scheduler: 'sh', persistent: 300, netmask: '255.255.255.0',
      flags: { ...flags, onePacket: true, shPort: true }, flagBits: 0x1 | 0x4 | 0x10, pe: 'sip', stats: { ...zero(), connections: 123_456_789_012n, inBytes: 1n << 40n },
      destinations: [
        {
          address: '198.51.100.7', family: 4, port: 53, forward: 'bypass', weight: 3, upperThreshold: 0, lowerThreshold: 0,
          activeConnections: 1, inactiveConnections: 2, persistentConnections: 0, stats: { ...zero(), connections: (1n << 32n) + 5n, inBytes: 1n << 40n },
        },
      ],
    };
    const rows = [serviceRow(svc), serviceRow({ fwmark: 3_000_000_000, family: 6, scheduler: 'rr', persistent: 0, netmask: 128, flags, flagBits: 0x20, stats: zero(), destinations: [] })];
    const info = { versionCode: 0x10201, connTableSize: 4096 };
    expect(listAll(info, rows, FMT.NUMERIC, NO_NAMES)).toBe(
      'IP Virtual Server version 1.2.1 (size=4096)\n' +
        'Prot LocalAddress:Port Scheduler Flags\n' +
        '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n' +
        'FWM  -1294967296 IPv6 rr (flag-3)\n' +
        'UDP  192.0.2.1:53 sh (sh-port) persistent 300 mask 255.255.255.0 pe sip ops\n' +
        '  -> 198.51.100.7:53              (null)  3      1          2         \n',
    );
    expect(listAll(info, rows, FMT.NUMERIC | FMT.RULE, NO_NAMES)).toBe(
      '-A -f -1294967296 -6 -s rr -b flag-3\n' +
        '-A -u 192.0.2.1:53 -s sh -p 300 -M 255.255.255.0 --pe sip -o -b sh-port\n' +
        '-a -u 192.0.2.1:53 -r 198.51.100.7:53 (null) -w 3\n',
    );
    // A real server's counters are read as 32 bits by ipvsadm, except the byte counters.
    expect(listAll(info, rows.slice(0, 1), FMT.NUMERIC | FMT.STATS, NO_NAMES).split('\n').slice(3, 5)).toEqual([
      'UDP  192.0.2.1:53                     123G        0        0    1099G        0',
      '  -> 198.51.100.7:53                     5        0        0    1099G        0',
    ]);
    const long = serviceRow({ ...svc, address: '198.51.100.7', destinations: [] });
    const names = { host: () => 'a-very-long-host-name.example.net', service: () => 'domain' };
    expect(listAll(info, [long], 0, names).split('\n')[3]).toBe('UDP  a-very-long-host-name.exampl sh (sh-port) persistent 300 mask 255.255.255.0 pe sip ops');
  });

  it('timeouts, daemons and connection entries', () => {
    expect(timeoutLine({ tcp: 900, tcpFin: 120, udp: 300 })).toBe('Timeout (tcp tcpfin udp): 900 120 300\n');
    expect(daemonLines([{ state: 'master', interface: 'eth0', syncId: 3, maxLength: 1472, group: '224.0.0.81', port: 8848, ttl: 1 }, { state: 'backup', interface: 'd0', syncId: 0 }])).toBe(
      'master sync daemon (mcast=eth0, syncid=3, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\nbackup sync daemon (mcast=d0, syncid=0)\n',
    );
    expect(connectionHeader(0)).toBe('IPVS connection entries\npro expire state       source             virtual            destination\n');
    const entry = {
      protocol: 'tcp', client: { address: '192.0.2.50', port: 40000 }, virtual: { address: '192.0.2.1', port: 80 }, destination: { address: '2001:db8::10', port: 80 },
      state: 'ESTABLISHED', expires: 6001, template: false, pe: { name: 'sip', data: 'call-1 more' },
    };
    expect(connectionLine(entry, FMT.NUMERIC, NO_NAMES)).toBe('TCP 100:01 ESTABLISHED 192.0.2.50:40000   192.0.2.1:80       [2001:db8::10]:80\n');
    expect(connectionLine(entry, FMT.NUMERIC | FMT.PERSISTENTCONN, NO_NAMES)).toBe(
      'TCP 100:01 ESTABLISHED 192.0.2.50:40000   192.0.2.1:80       [2001:db8::10]:80 sip                call-1\n',
    );
  });

  it('--json keeps 64-bit counters exact, as strings', () => {
    expect(stringify({ n: (1n << 63n) + 1n })).toBe('{\n  "n": "9223372036854775809"\n}\n');
  });
});

describe('kernel errors in ipvsadm words', () => {
  it('per operation, then the generic table, then glibc strerror', () => {
    expect(ipvsStrerror('add_service', -17)).toBe('Service already exists');
    expect(ipvsStrerror('add_dest', 3)).toBe('Service not defined');
    expect(ipvsStrerror('update_dest', 2)).toBe('No such destination');
    expect(ipvsStrerror('flush', 1)).toBe('Permission denied (you must be root)');
    expect(ipvsStrerror('add_dest', 34)).toBe('Numerical result out of range');
    expect(strerror(19)).toBe('No such device');
    expect(strerror(4095)).toBe('Unknown error 4095');
  });
});

describe('restore', () => {
  it('splits lines as ipvsadm: blanks, tabs and CRs separate words; "ipvsadm" is dropped; no comments', () => {
    expect(splitLines('ipvsadm -A -t 192.0.2.1:80\r\n\n  \t\n-a\t-t 192.0.2.1:80   -r 192.0.2.2\n# x\n-C')).toEqual([
      { line: 1, words: ['-A', '-t', '192.0.2.1:80'] },
      { line: 4, words: ['-a', '-t', '192.0.2.1:80', '-r', '192.0.2.2'] },
      { line: 5, words: ['#', 'x'] },
      { line: 6, words: ['-C'] },
    ]);
  });

  it('checks every line first and applies nothing when one is wrong', async () => {
    const err: string[] = [];
    const session = { ipvs: undefined, info: { version: '1.2.1', versionCode: 0x10201, connTableSize: 4096 }, io: { out: () => {}, err: (t: string) => err.push(t) } };
    const code = await restore({
      session: session as unknown as Session,
      resolver: NUMERIC_RESOLVER,
      program: 'nl-ipvsadm',
      input: '-A -t 192.0.2.1:80\n-a -t 192.0.2.1:80 -r 192.0.2.2 -w x\n-R\n-A -t 192.0.2.1:80 --bogus\n',
    });
    expect(code).toBe(2);
    expect(err.join('')).toBe(
      'line 2: illegal weight specified\n' +
        "line 3: Try `nl-ipvsadm -h' or 'nl-ipvsadm --help' for more information.\n" +
        'line 4: --bogus: unknown option\n' +
        'nl-ipvsadm: nothing restored (3 bad lines)\n',
    );
  });

  it('draws a progress bar on a terminal only', async () => {
    expect(await progressFor(Object.assign(new PassThrough(), { isTTY: false }))).toBeUndefined();
    const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    const chunks: string[] = [];
    tty.on('data', (c: Buffer) => chunks.push(c.toString()));
    const bar = (await progressFor(tty))!;
    bar.start(10);
    bar.update(10);
    bar.stop();
    expect(chunks.join('')).toContain('10/10 rules');
  });
});

describe('main() without a kernel', () => {
  const run = async (...args: string[]): Promise<[number, string, string]> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['nl-ipvsadm', ...args], { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } });
    return [code, out.join(''), err.join('')];
  };

  it('-h is a manual that names what is new; -v the version', async () => {
    const [code, out] = await run('-h');
    expect(code).toBe(0);
    for (const part of ['SYNOPSIS', 'COMMANDS', '--json', 'batch', 'progress', '--tun-type', '--mcast-group', 'EXIT STATUS']) expect(out).toContain(part);
    const [vcode, vout] = await run('-v');
    expect([vcode, vout]).toEqual([0, expect.stringMatching(/^nl-ipvsadm \d+\.\d+\.\d+ /)]);
  });

  it('a bad command line fails before any socket is opened', async () => {
    expect(await run('--bogus')).toEqual([255, '', "Try `nl-ipvsadm -h' or 'nl-ipvsadm --help' for more information.\n"]);
    expect(await run('-A', '-t', '192.0.2.1:80', '-w', '1')).toEqual([2, '', "Illegal 'weight' option with the 'add-service' command\n"]);
  });
});
