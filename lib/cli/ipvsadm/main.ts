// nl-ipvsadm: ipvsadm 1.31's command line on the nl-lvs library. main()
// takes argv (argv[0] is the program name, as in C) and the streams to use,
// and resolves to the exit status, so tests can run it in-process; the
// launcher (bin/nl-ipvsadm.js) passes the real process's.
import { Ipvs, type IpvsOptions } from '../../api/ipvs.js';
import type { IpvsInfo } from '../../families/ipvs/info.js';
import { FamilyNotFoundError } from '../../protocol/errors.js';
import { parseCommandLine } from './args.js';
import { CliError, type ParsedCommand } from './command.js';
import { executeWrite, errnoOf, type Session } from './execute.js';
import { helpText, versionText } from './help.js';
import { executeList, listEverything } from './list.js';
import { SystemResolver, type Resolver } from './resolve.js';
import { progressFor, restore } from './restore.js';
import { ipvsStrerror } from './strerror.js';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  /** Read by -R. Default: process.stdin. */
  stdin?: AsyncIterable<Buffer | string>;
  /** Options for the IPVS socket, e.g. { netns } to work inside a namespace. */
  ipvs?: IpvsOptions;
  /** Host and service names (default: the system's). */
  resolver?: Resolver;
}

async function readAll(input: AsyncIterable<Buffer | string>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of input) parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(parts).toString('utf8');
}

/** ipvsadm's start-up: reach IPVS or explain why not (exit 2). */
async function init(ipvs: Ipvs): Promise<IpvsInfo> {
  try {
    return await ipvs.info();
  } catch (err) {
    const why = err instanceof FamilyNotFoundError ? 'Protocol not available' : ipvsStrerror('init', errnoOf(err) ?? 22);
    throw new CliError(2, `Can't initialize ipvs: ${why}\nAre you sure that IP Virtual Server is built in the kernel or as module?`);
  }
}

async function dispatch(c: ParsedCommand, s: Session, resolver: Resolver, io: CliIo, program: string): Promise<number> {
  switch (c.cmd) {
    case 'list':
      return executeList(c, s, resolver);
    case 'save':
      return listEverything(c, s, resolver);
    case 'restore': {
      const input = await readAll(io.stdin ?? process.stdin);
      const progress = await progressFor(io.stderr as NodeJS.WritableStream & { isTTY?: boolean });
      return restore({ session: s, resolver, program, input, progress });
    }
    default:
      return executeWrite(c, s);
  }
}

/** Runs one nl-ipvsadm invocation; resolves to its exit status. */
export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const program = argv[0] ?? 'nl-ipvsadm';
  const resolver = io.resolver ?? new SystemResolver();
  const out = (text: string): void => void io.stdout.write(text);
  const err = (text: string): void => void io.stderr.write(text);
  let ipvs: Ipvs | undefined;
  try {
    let command: ParsedCommand;
    if (argv.length <= 1) {
      // No arguments: list the table, as ipvsadm does.
      const parsed = await parseCommandLine([program, '-L'], resolver);
      command = parsed as ParsedCommand;
    } else {
      const parsed = await parseCommandLine(argv, resolver);
      if (parsed.kind === 'help') {
        out(helpText(program));
        return 0;
      }
      if (parsed.kind === 'version') {
        out(versionText());
        return 0;
      }
      command = parsed;
    }
    ipvs = Ipvs.open(io.ipvs ?? {});
    const info = await init(ipvs);
    return await dispatch(command, { ipvs, info, io: { out, err } }, resolver, io, program);
  } catch (e) {
    if (e instanceof CliError) {
      err(`${e.text}\n`);
      return e.exitCode;
    }
    err(`${program}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 255;
  } finally {
    ipvs?.close();
  }
}
