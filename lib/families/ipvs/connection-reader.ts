// Reading the IPVS connection table of a namespace: the file is opened by the
// native helper thread inside the namespace (/proc/thread-self/net: plain
// /proc/net follows the process's main thread) and streamed here with fs, one
// chunk at a time, through the parser in connection-table.ts.
import { read, closeSync } from 'node:fs';
import { openInNetns } from '../../transport/socket.js';
import { DecodeError, ValidationError, showValue } from '../../protocol/errors.js';
import { NL, TableParser, compileFilter, type Matcher, type IpvsConnection, type ConnectionListOptions } from './connection-table.js';

const DEFAULT_CHUNK = 256 << 10;
const CONN_FILE = '/proc/thread-self/net/ip_vs_conn';
const SYNC_FILE = '/proc/thread-self/net/ip_vs_conn_sync';

function readChunk(fd: number, buf: Buffer, offset: number, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buf, offset, length, null, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

/**
 * Streams the entries of a table already open as `fd`, which it closes when
 * done, on error, or when the consumer stops early (start iterating it, or
 * call return(), or the fd stays open). Memory stays at one chunk plus the
 * entries of one chunk, whatever the table's size.
 */
export function streamConnectionsFromFd(
  fd: number,
  options: Omit<ConnectionListOptions, 'sync'> = {},
): AsyncGenerator<IpvsConnection, void, undefined> {
  let match: Matcher | undefined;
  let size: number;
  try {
    match = compileFilter(options.filter);
    size = chunkSize(options);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return stream(() => fd, match, size, options.signal);
}

function chunkSize(options: ConnectionListOptions): number {
  const size = options.chunkSize ?? DEFAULT_CHUNK;
  if (!Number.isInteger(size) || size < 4096 || size > 1 << 30) {
    throw new ValidationError('chunkSize', `bytes from 4096 to 2^30, got ${showValue(size)}`);
  }
  return size;
}

async function* stream(
  open: () => number,
  match: Matcher | undefined,
  size: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<IpvsConnection, void, undefined> {
  const fd = open();
  try {
    signal?.throwIfAborted();
    const parser = new TableParser(match);
    const buf = Buffer.allocUnsafe(size);
    let filled = 0;
    for (;;) {
      const n = await readChunk(fd, buf, filled, buf.length - filled);
      signal?.throwIfAborted();
      const eof = n === 0;
      filled += n;
      // Whole lines only; a partial last line waits for the next read (or EOF).
      const cut = eof ? filled : buf.lastIndexOf(NL, filled - 1) + 1;
      if (cut === 0 && !eof) {
        if (filled === buf.length) throw new DecodeError(`IPVS connection table: a line longer than ${buf.length} bytes`);
        continue;
      }
      const batch: IpvsConnection[] = [];
      parser.parse(buf, 0, cut, batch);
      buf.copy(buf, 0, cut, filled);
      filled -= cut;
      for (const entry of batch) {
        if (signal?.aborted) signal.throwIfAborted();
        yield entry;
      }
      if (eof) return;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The connection table of a namespace (undefined: the caller's), as an async
 * iterable. The filter is checked at once; the file is opened on the first
 * iteration and closed when iteration ends, however it ends.
 */
export function readConnections(netns: string | undefined, options: ConnectionListOptions = {}): AsyncIterable<IpvsConnection> {
  const match = compileFilter(options.filter);
  const size = chunkSize(options);
  const file = options.sync ? SYNC_FILE : CONN_FILE;
  return {
    [Symbol.asyncIterator]: () => stream(() => openTable(netns, file), match, size, options.signal),
  };
}

function openTable(netns: string | undefined, file: string): number {
  try {
    return openInNetns(netns, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      const e = new Error(
        `${file} does not exist${netns ? ` in namespace ${netns}` : ''}: IPVS is not loaded (modprobe ip_vs) or the kernel has no CONFIG_IP_VS`,
        { cause: err },
      ) as NodeJS.ErrnoException;
      e.code = 'ENOENT';
      e.errno = -2;
      e.syscall = 'open';
      throw e;
    }
    throw err;
  }
}
