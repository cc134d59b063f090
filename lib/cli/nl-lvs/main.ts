// nl-lvs: the package's command with subcommands (`nl-lvs exporter ...`).
// Each subcommand is one module exporting `command: Subcommand`, loaded only
// when named; adding one is a file and a line in SUBCOMMANDS. main() takes
// argv without the program name, and the streams, and resolves to the exit
// status, so tests can run it in-process; bin/nl-lvs.js passes the process's.

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Aborted to stop a long-running subcommand (the launcher aborts on SIGINT / SIGTERM). */
  signal?: AbortSignal;
}

export interface Subcommand {
  /** One line for `nl-lvs --help`. */
  summary: string;
  /** The subcommand's own --help text. */
  usage: string;
  /** Runs with the arguments after the subcommand's name; resolves to the exit status. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** Thrown by a subcommand for a usage mistake: printed with its usage, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const SUBCOMMANDS: Record<string, () => Promise<{ command: Subcommand }>> = {
  exporter: () => import('./exporter.js'),
  agent: () => import('./agent.js'),
};

const PROGRAM = 'nl-lvs';

async function overview(): Promise<string> {
  const lines = [`usage: ${PROGRAM} <command> [options]`, '', 'commands:'];
  for (const [name, load] of Object.entries(SUBCOMMANDS)) lines.push(`  ${name.padEnd(12)}${(await load()).command.summary}`);
  lines.push('', `Run \`${PROGRAM} <command> --help\` for a command's options.`, '');
  return lines.join('\n');
}

export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(await overview());
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (load === undefined) {
    io.stderr.write(`${PROGRAM}: unknown command ${JSON.stringify(name)}\n${await overview()}`);
    return 2;
  }
  const { command } = await load();
  if (args.includes('-h') || args.includes('--help')) {
    io.stdout.write(command.usage);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${PROGRAM} ${name}: ${err.message}\n${command.usage}`);
      return 2;
    }
    io.stderr.write(`${PROGRAM} ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
