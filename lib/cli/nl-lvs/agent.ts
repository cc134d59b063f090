// `nl-lvs agent --config FILE [--metrics HOST:PORT]`: the desired-state agent
// (lib/agent), stopped through io.signal (SIGINT / SIGTERM in the launcher).
import { AGENT_USAGE, parseAgentArgs, runAgent } from '../../agent/cli.js';
import { UsageError, type CliIo, type Subcommand } from './main.js';

export const command: Subcommand = {
  summary: 'keep IPVS services and a VXLAN overlay equal to a desired-state file',
  usage: AGENT_USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const parsed = parseAgentArgs(args);
    if ('error' in parsed) throw new UsageError(parsed.error);
    return runAgent(args, io);
  },
};
