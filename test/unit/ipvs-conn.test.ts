// The IPVS connection table reader and the sync daemon codec, without a
// kernel: real bytes captured in UML (test/fixtures/ipvs-conn.ts), checked
// against ipvsadm's view of the same moment, plus the kernel's format corners
// and a million-line table streamed in bounded memory.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { openSync, writeSync, closeSync, fstatSync, mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { parseConnections, type IpvsConnection } from '../../lib/families/ipvs/connection-table.js';
import { readConnections, streamConnectionsFromFd } from '../../lib/families/ipvs/connection-reader.js';
import { decodeDaemon, writeDaemonNest } from '../../lib/families/ipvs/daemon.js';
import { genlAttrs } from '../../lib/families/genl.js';
import { MessageWriter } from '../../lib/codec/writer.js';
import { AttrTable } from '../../lib/codec/reader.js';
import { forEachMessage, type Message } from '../../lib/protocol/message.js';
import { DecodeError, ValidationError } from '../../lib/protocol/errors.js';
import { IPVS_CMD_NEW_DAEMON, IPVS_CMD_ATTR_DAEMON } from '../../lib/uapi/ip_vs.js';
import { IP_VS_CONN_HEX, IP_VS_CONN_SYNC_HEX, IPVSADM_LCN, GET_DAEMON_REPLIES_HEX } from '../fixtures/ipvs-conn.js';

const conn = Buffer.from(IP_VS_CONN_HEX, 'hex');
const sync = Buffer.from(IP_VS_CONN_SYNC_HEX, 'hex');

/** ipvsadm's address:port ([v6]:port). */
const ap = (e: { address: string; port: number }): string => (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);

/** One `ipvsadm -Lcn` row as ipvsadm prints it (print_conn in ipvsadm.c). */
function ipvsadmRow(c: IpvsConnection): string {
  const expire = `${String(Math.floor(c.expires / 60)).padStart(2, '0')}:${String(c.expires % 60).padStart(2, '0')}`;
  const pad = (s: string, n: number): string => s.padEnd(n);
  return `${pad(c.protocol.toUpperCase(), 3)} ${pad(expire, 6)} ${pad(c.state, 11)} ${pad(ap(c.client), 18)} ${pad(ap(c.virtual), 18)} ${ap(c.destination)}`;
}

describe('parsing real /proc/net/ip_vs_conn bytes', () => {
  it('gives every entry ipvsadm -Lcn printed, field for field', () => {
    const entries = parseConnections(conn);
    const rows = IPVSADM_LCN.trimEnd().split('\n').slice(2);
    expect(entries.map(ipvsadmRow)).toEqual(rows);
  });

  it('types each kind of entry: IPv4, IPv6, UDP, TCP and persistence templates', () => {
    const entries = parseConnections(conn);
    const byClientPort = (p: number, proto: string): IpvsConnection[] => entries.filter((e) => e.client.port === p && e.protocol === proto);
    expect(byClientPort(40000, 'udp')).toEqual([
      {
        protocol: 'udp', client: { address: '192.0.2.1', port: 40000 }, virtual: { address: '192.0.2.100', port: 53 },
        destination: { address: '192.0.2.11', port: 53 }, state: 'UDP', expires: 299, template: false,
      },
    ]);
    expect(byClientPort(40001, 'udp')[0]).toMatchObject({
      client: { address: '2001:db8::1', port: 40001 },
      virtual: { address: '2001:db8::100', port: 53 },
      destination: { address: '2001:db8::11', port: 53 },
    });
    expect(byClientPort(40002, 'tcp')[0]).toMatchObject({ state: 'SYN_RECV', destination: { port: 8080 }, template: false });
    // -p 120 on 192.0.2.100:80: the client → real server template, client port 0.
    expect(byClientPort(0, 'tcp')).toEqual([
      {
        protocol: 'tcp', client: { address: '192.0.2.1', port: 0 }, virtual: { address: '192.0.2.100', port: 80 },
        destination: { address: '192.0.2.12', port: 8080 }, state: 'NONE', expires: 119, template: true,
      },
    ]);
    // -f 7 -p 60: an "IP" template whose virtual address holds the mark.
    expect(byClientPort(0, 'ip')[0]).toMatchObject({ template: true, fwmark: 7, virtual: { address: '0.0.0.7', port: 0 } });
    expect(entries.every((e) => e.origin === undefined && e.pe === undefined)).toBe(true);
  });

  it('reads ip_vs_conn_sync: the same entries, each with its origin', () => {
    const plain = parseConnections(conn);
    const withOrigin = parseConnections(sync);
    expect(withOrigin.every((e) => e.origin === 'local')).toBe(true);
    expect(withOrigin.map(({ origin, ...rest }) => rest)).toEqual(plain);
  });

  it('filters by service, destination and state while parsing', () => {
    expect(parseConnections(conn, { service: { address: '192.0.2.100' } })).toHaveLength(3);
    expect(parseConnections(conn, { service: { address: '192.0.2.100', port: 80, protocol: 'tcp' } })).toHaveLength(2);
    expect(parseConnections(conn, { service: { protocol: 'udp' } })).toHaveLength(2);
    expect(parseConnections(conn, { service: { address: '2001:db8:0::100' } }).map((e) => e.client.port)).toEqual([40001]);
    expect(parseConnections(conn, { destination: { address: '192.0.2.13' } })).toHaveLength(2);
    expect(parseConnections(conn, { destination: { address: '192.0.2.13', port: 443 } })).toHaveLength(1);
    expect(parseConnections(conn, { state: 'SYN_RECV' })).toHaveLength(2);
    expect(parseConnections(conn, { state: ['UDP', 'NONE'] })).toHaveLength(4);
    expect(parseConnections(conn, { state: [] })).toHaveLength(0);
  });

  it('rejects bad filters, naming the field', () => {
    const bad: Array<[object, string]> = [
      [{ service: { address: '192.0.2' } }, 'filter.service.address'],
      [{ service: { port: 65536 } }, 'filter.service.port'],
      [{ destination: { address: 'x' } }, 'filter.destination.address'],
      [{ destination: { port: -1 } }, 'filter.destination.port'],
      [{ state: 5 }, 'filter.state'],
    ];
    for (const [filter, field] of bad) {
      expect(() => parseConnections(conn, filter as never)).toThrow(ValidationError);
      try {
        parseConnections(conn, filter as never);
      } catch (err) {
        expect((err as ValidationError).field).toBe(field);
      }
    }
  });
});

describe('format corners from ip_vs_conn_seq_show', () => {
  it('persistence-engine columns, SCTP, protocols without a name, an IPv6 real server in an IPv4 service', () => {
    const text = [
      'UDP C0000201 13C4 C6336401 13C4 C000020B 13C4 UDP             180 sip 1234-5678@client.example',
      'SCTP C0000201 0BB8 C6336401 0B59 C000020B 0B59 ESTABLISHED     899',
      'IP_47 C0000201 0000 C6336401 0000 C000020B 0000 ERR!              5',
      'TCP C0000201 D431 C6336401 0050 2001:0db8:0000:0000:0000:0000:0000:000b 0050 ESTABLISHED     899',
    ].join('\n');
    const [sip, sctp, other, mixed] = parseConnections(text);
    expect(sip!.pe).toEqual({ name: 'sip', data: '1234-5678@client.example' });
    expect(sctp).toMatchObject({ protocol: 'sctp', client: { port: 3000 }, virtual: { port: 2905 }, state: 'ESTABLISHED' });
    expect(other).toMatchObject({ protocol: 'ip_47', state: 'ERR!', template: false });
    expect(mixed).toMatchObject({ virtual: { address: '198.51.100.1' }, destination: { address: '2001:db8::b', port: 80 } });
  });

  it('an IPv6 fwmark template keeps the mark in the first word of the virtual address', () => {
    const line = 'IP  2001:0db8:0000:0000:0000:0000:0000:0001 0000 0000:0009:0000:0000:0000:0000:0000:0000 0000 2001:0db8:0000:0000:0000:0000:0000:0011 0000 ASSURED        30';
    expect(parseConnections(line)[0]).toMatchObject({ template: true, fwmark: 9, state: 'ASSURED' });
  });

  it('skips headers and blank lines, accepts CRLF-free text without a final newline', () => {
    const text = `${conn.toString('latin1')}\n\n${conn.toString('latin1').trimEnd()}`;
    expect(parseConnections(text)).toHaveLength(12);
  });

  it('a malformed line is a DecodeError that quotes it', () => {
    expect(() => parseConnections('TCP C0000201 ZZZZ C6336401 0050 C000020B 0050 ESTABLISHED 5')).toThrow(DecodeError);
    expect(() => parseConnections('TCP C0000201 0001 C6336401')).toThrow(/missing port in line "TCP C0000201 0001 C6336401"/);
    expect(() => parseConnections('TCP C0000201 0001 C6336401 0050 C000020B 0050 ESTABLISHED soon')).toThrow(/expiry/);
  });
});

describe('streaming a table', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nl-lvs-conn-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function writeTable(name: string, lines: number, line: (i: number) => string): string {
    const path = join(dir, name);
    const fd = openSync(path, 'w');
    writeSync(fd, 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n');
    let batch = '';
    for (let i = 0; i < lines; i++) {
      batch += line(i);
      if (batch.length > 1 << 20) {
        writeSync(fd, batch);
        batch = '';
      }
    }
    writeSync(fd, batch);
    closeSync(fd);
    return path;
  }

  const hex = (n: number, w: number): string => n.toString(16).toUpperCase().padStart(w, '0');
  // Clients 10.x, two services, two real servers, three states: every field varies.
  const synthetic = (i: number): string =>
    `TCP ${hex(0x0a000000 + i, 8)} ${hex(1024 + (i % 60000), 4)} ${i % 2 ? 'C6336401' : 'C6336402'} 0050 ` +
    `${i % 4 < 2 ? 'C000020B' : 'C000020C'} 0050 ${['ESTABLISHED', 'FIN_WAIT', 'TIME_WAIT'][i % 3]!.padEnd(11)} ${String(i % 900).padStart(7)}\n`;

  it('gives what parse gives, whatever the chunk boundaries', async () => {
    const path = writeTable('small.txt', 5000, synthetic);
    const all: IpvsConnection[] = [];
    for await (const e of streamConnectionsFromFd(openSync(path, 'r'), { chunkSize: 4096 })) all.push(e);
    expect(all).toHaveLength(5000);
    expect(all).toEqual(parseConnections(readFileSync(path)));
    expect(all[3]).toEqual({
      protocol: 'tcp', client: { address: '10.0.0.3', port: 1027 }, virtual: { address: '198.51.100.1', port: 80 },
      destination: { address: '192.0.2.12', port: 80 }, state: 'ESTABLISHED', expires: 3, template: false,
    });
  });

  it('closes the file when the consumer stops early, and on abort', async () => {
    const path = writeTable('close.txt', 20000, synthetic);
    let fd = openSync(path, 'r');
    let n = 0;
    for await (const _ of streamConnectionsFromFd(fd, { chunkSize: 4096 })) if (++n === 10) break;
    expect(() => fstatSync(fd)).toThrow(/EBADF/);

    fd = openSync(path, 'r');
    const ac = new AbortController();
    n = 0;
    const run = (async () => {
      for await (const _ of streamConnectionsFromFd(fd, { signal: ac.signal, chunkSize: 4096 })) if (++n === 100) ac.abort();
    })();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(n).toBe(100);
    expect(() => fstatSync(fd)).toThrow(/EBADF/);

    fd = openSync(path, 'r');
    expect(() => streamConnectionsFromFd(fd, { chunkSize: 10 })).toThrow(ValidationError);
    expect(() => fstatSync(fd)).toThrow(/EBADF/);
  });

  it('streams a million entries in bounded memory, filtering on the way', async () => {
    const lines = 1_000_000;
    const path = writeTable('million.txt', lines, synthetic);
    // Live memory, not garbage: collect before each sample.
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let total = 0;
    for await (const e of streamConnectionsFromFd(openSync(path, 'r'))) {
      if (++total % 100_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
      if (e.protocol !== 'tcp') throw new Error('bad entry');
    }
    expect(total).toBe(lines);
    expect(peak - before).toBeLessThan(50 * 1024 * 1024);

    let matched = 0;
    const filter = { service: { address: '198.51.100.1' }, destination: { address: '192.0.2.11' }, state: 'ESTABLISHED' } as const;
    for await (const e of streamConnectionsFromFd(openSync(path, 'r'), { filter })) {
      matched++;
      if (e.destination.address !== '192.0.2.11' || e.state !== 'ESTABLISHED') throw new Error('filter let through ' + JSON.stringify(e));
    }
    // Odd i (service .1), i % 4 < 2 (real server .11), i % 3 === 0 (ESTABLISHED):
    let expected = 0;
    for (let i = 0; i < lines; i++) if (i % 2 === 1 && i % 4 < 2 && i % 3 === 0) expected++;
    expect(matched).toBe(expected);
  }, 120_000);
});

describe('reading the table of this process', () => {
  it.skipIf(existsSync('/proc/net/ip_vs_conn'))('without IPVS in the kernel, a plain ENOENT saying so', async () => {
    const read = async (): Promise<void> => {
      for await (const _ of readConnections(undefined)) break;
    };
    await expect(read()).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('IPVS is not loaded') });
  });

  it('checks the filter and chunk size at once, before opening anything', () => {
    expect(() => readConnections(undefined, { filter: { destination: { port: 1e6 } } })).toThrow(ValidationError);
    expect(() => readConnections(undefined, { chunkSize: 1 })).toThrow(/chunkSize/);
  });
});

describe('sync daemon attributes on real bytes', () => {
  const messages: Message[] = [];
  for (const hexMsg of GET_DAEMON_REPLIES_HEX) forEachMessage(Buffer.from(hexMsg, 'hex'), (m) => messages.push(m));

  it('decodes the kernel\'s GET_DAEMON replies, the host-order port included', () => {
    expect(messages.map((m) => m.buf[m.offset])).toEqual([IPVS_CMD_NEW_DAEMON, IPVS_CMD_NEW_DAEMON]);
    expect(messages.map((m) => decodeDaemon(genlAttrs(m)))).toEqual([
      { state: 'master', interface: 'sync0', syncId: 42, maxLength: 1400, group: '239.1.2.3', port: 9000, ttl: 3 },
      { state: 'backup', interface: 'sync0', syncId: 5, maxLength: 1452, group: 'ff02::1:2', port: 8848, ttl: 1 },
    ]);
  });

  it('encodes a daemon to the same attribute bytes the kernel reports', () => {
    for (const m of messages) {
      const d = decodeDaemon(genlAttrs(m))!;
      const w = new MessageWriter();
      w.begin(0, 0);
      writeDaemonNest(w, d);
      w.end('encode');
      const mine = w.view();
      // Compare the nests' payloads: the kernel's nest header lacks NLA_F_NESTED, ours has it.
      const kernelNest = genlAttrs(m).bytes(IPVS_CMD_ATTR_DAEMON)!;
      const ourNest = new AttrTable(mine, 16, mine.length).bytes(IPVS_CMD_ATTR_DAEMON)!;
      expect(ourNest.toString('hex')).toBe(kernelNest.toString('hex'));
    }
  });

  it('leaves out what the caller left out', () => {
    const w = new MessageWriter();
    w.begin(0, 0);
    writeDaemonNest(w, { state: 'backup', interface: 'eth0', syncId: 0 });
    w.end('encode');
    const nest = new AttrTable(w.view(), 16, w.length).nested(IPVS_CMD_ATTR_DAEMON)!;
    expect(nest.types).toEqual([1, 2, 3]);
  });
});
