// `nl-lvs agent --config FILE [--metrics HOST:PORT]`: runs the agent until
// SIGTERM or SIGINT, then shuts it down cleanly and resolves to the exit
// status (0; 1 when the configuration cannot be used at start; 2 for usage).
import { Agent } from './agent.js';
import { checkListen } from './config.js';
import { errorFields, jsonLines } from './log.js';

export interface AgentIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Stops the agent when aborted; without it, SIGTERM and SIGINT do. */
  signal?: AbortSignal;
}

export const AGENT_USAGE = `usage: nl-lvs agent --config FILE [--metrics HOST:PORT]

Keeps the kernel's IPVS services and VXLAN overlay equal to the desired
state in FILE (JSON), re-applies it when FILE changes and repairs changes
made by others. Logs one JSON line per change on stdout. Stops on SIGTERM.
`;

export function parseAgentArgs(argv: readonly string[]): { config: string; metrics?: string } | { help: true } | { error: string } {
  let config: string | undefined;
  let metrics: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    if (flag === '--help' || flag === '-h') return { help: true };
    else if (flag === '--config' || flag === '-c') config = value();
    else if (flag === '--metrics') metrics = value();
    else return { error: `unknown argument ${JSON.stringify(arg)}` };
  }
  if (config === undefined || config === '') return { error: '--config FILE is required' };
  if (metrics !== undefined) {
    try {
      checkListen(metrics, '--metrics');
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
  return { config, metrics };
}

/** Runs the agent until a termination signal; resolves to the exit status. */
export async function runAgent(argv: readonly string[], io: AgentIo = process): Promise<number> {
  const args = parseAgentArgs(argv);
  if ('help' in args) {
    io.stdout.write(AGENT_USAGE);
    return 0;
  }
  if ('error' in args) {
    io.stderr.write(`nl-lvs agent: ${args.error}\n${AGENT_USAGE}`);
    return 2;
  }
  const agent = new Agent({ config: args.config, metrics: args.metrics, log: jsonLines(io.stdout) });
  const own = io.signal === undefined ? new AbortController() : undefined;
  const signal = io.signal ?? own!.signal;
  const onSignal = (): void => own?.abort();
  if (own) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  try {
    try {
      await agent.start();
    } catch (err) {
      io.stderr.write(`nl-lvs agent: ${JSON.stringify(errorFields(err))}\n`);
      await agent.stop();
      return 1;
    }
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    await agent.stop();
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
