// -L/-l and -S: read the kernel's state, look up names unless -n, print it
// the way ipvsadm does (or as JSON with --json). A failed read prints
// ipvsadm's message and exits 1, as ipvsadm does.
import type { IpvsConnection } from '../../families/ipvs/connection-table.js';
import { FMT, has, type ParsedCommand } from './command.js';
import { connectionAddresses, connectionHeader, connectionLine } from './conntable.js';
import type { Session } from './execute.js';
import { failureText } from './execute.js';
import {
  addressesOf, daemonLines, listAll, listService, lookupNames, NO_NAMES, ordered, orderedDests, timeoutLine, versionLine,
  type Names,
} from './format.js';
import { connectionsJson, daemonsJson, listJson, serviceJson, timeoutsJson } from './json.js';
import { serviceRow, type ServiceRow } from './model.js';
import { rawGetService } from './raw.js';
import type { Resolver } from './resolve.js';

const CONN_FILE = '/proc/net/ip_vs_conn';
/** Output is written in pieces of about this size when streaming (the table can be huge). */
const FLUSH_BYTES = 1 << 18;

async function names(format: number, addresses: () => Array<[number, Buffer]>, resolver: Resolver): Promise<Names> {
  return format & FMT.NUMERIC ? NO_NAMES : lookupNames(addresses(), resolver);
}

async function listConnections(c: ParsedCommand, s: Session, resolver: Resolver, json: boolean): Promise<number> {
  const format = c.format;
  // Without names nothing needs the whole table first: print as it is read.
  const stream = !json && (format & FMT.NUMERIC) !== 0;
  const all: IpvsConnection[] = [];
  let out = '';
  let started = false;
  try {
    for await (const conn of s.ipvs.connections()) {
      if (!stream) {
        all.push(conn);
        continue;
      }
      if (!started) {
        out = connectionHeader(format);
        started = true;
      }
      out += connectionLine(conn, format, NO_NAMES);
      if (out.length >= FLUSH_BYTES) {
        s.io.out(out);
        out = '';
      }
    }
  } catch {
    s.io.err(`cannot open file ${CONN_FILE}\n`);
    return 1;
  }
  if (json) {
    s.io.out(connectionsJson(all));
    return 0;
  }
  if (stream) {
    s.io.out((started ? '' : connectionHeader(format)) + out);
    return 0;
  }
  const n = await lookupNames(connectionAddresses(all), resolver);
  let text = connectionHeader(format);
  for (const conn of all) text += connectionLine(conn, format, n);
  s.io.out(text);
  return 0;
}

/** -L/-l in all its forms. */
export async function executeList(c: ParsedCommand, s: Session, resolver: Resolver): Promise<number> {
  const json = has(c, 'json');
  const format = c.format;
  if (has(c, 'connection')) return listConnections(c, s, resolver, json);

  if (has(c, 'service-address')) {
    let row: ServiceRow;
    try {
      row = serviceRow(await rawGetService(s.ipvs, c.svc));
    } catch (err) {
      s.io.err(`${failureText('get_service', err)}\n`);
      return 1;
    }
    if (json) {
      s.io.out(listJson(undefined, [serviceJson(row, orderedDests(row, format))]));
      return 0;
    }
    s.io.out(listService(row, format, await names(format, () => addressesOf([row]), resolver)));
    return 0;
  }

  if (has(c, 'timeout')) {
    let t;
    try {
      t = await s.ipvs.timeouts();
    } catch {
      return 1;
    }
    s.io.out(json ? timeoutsJson(t) : timeoutLine(t));
    return 0;
  }

  if (has(c, 'daemon')) {
    let d;
    try {
      d = await s.ipvs.listDaemons();
    } catch {
      return 1;
    }
    s.io.out(json ? daemonsJson(d) : daemonLines(d));
    return 0;
  }

  return listEverything(c, s, resolver, json);
}

/** list_all(): every service (-L, and -S with the rule format). */
export async function listEverything(c: ParsedCommand, s: Session, resolver: Resolver, json = false): Promise<number> {
  const format = c.cmd === 'save' ? c.format | FMT.RULE : c.format;
  let rows: ServiceRow[];
  try {
    rows = (await s.ipvs.snapshot()).map(serviceRow);
  } catch (err) {
    // ipvsadm has printed its banner by then.
    if (!(format & FMT.RULE)) s.io.out(versionLine(s.info.versionCode, s.info.connTableSize));
    s.io.err(`${failureText('get_services', err)}\n`);
    return 1;
  }
  if (json) {
    const services = ordered(rows, format).map((r) => serviceJson(r, orderedDests(r, format)));
    s.io.out(listJson(s.info, services));
    return 0;
  }
  s.io.out(listAll(s.info, rows, format, await names(format, () => addressesOf(rows), resolver)));
  return 0;
}
