// `nl-lvs exporter`: serves IPVS and link metrics in the Prometheus text
// format until stopped (SIGINT / SIGTERM through io.signal).
import { parseArgs } from 'node:util';
import { createExporter, parseListen } from '../../hotpath/exporter.js';
import { ValidationError } from '../../protocol/errors.js';
import { UsageError, type CliIo, type Subcommand } from './main.js';

const DEFAULT_LISTEN = '127.0.0.1:9749';

const usage = `usage: nl-lvs exporter [--listen HOST:PORT] [--netns NAME] [--links IF[,IF...]] [--path PATH]

Serves IPVS service and real-server counters and link statistics in the
Prometheus text format. Without CAP_NET_ADMIN, IPVS is read from
/proc/net/ip_vs (weights and connection counts only), as the
nl_lvs_ipvs_source metric says.

options:
  --listen HOST:PORT   where to listen (default ${DEFAULT_LISTEN}; port 0 picks one)
  --netns NAME         the network namespace to export (a name under /run/netns, or a path)
  --links A,B          links whose counters to export, by name or ifindex
  --path PATH          the metrics path (default /metrics)
  --timeout MS         how long one kernel read may take (default 5000)
  -h, --help           this text
`;

function parse(args: string[]): { listen: string; netns?: string; links: Array<string | number>; path?: string; timeout?: number } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        listen: { type: 'string' },
        netns: { type: 'string' },
        links: { type: 'string' },
        path: { type: 'string' },
        timeout: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const links = (values.links ?? '').split(',').map((l) => l.trim()).filter((l) => l !== '').map((l) => (/^\d+$/.test(l) ? Number(l) : l));
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) throw new UsageError(`--timeout: milliseconds, got ${JSON.stringify(values.timeout)}`);
  const listen = values.listen ?? DEFAULT_LISTEN;
  try {
    parseListen(listen);
  } catch (err) {
    throw new UsageError(`--listen: ${(err as ValidationError).message}`);
  }
  return { listen, netns: values.netns, links, path: values.path, timeout };
}

async function run(args: string[], io: CliIo): Promise<number> {
  const options = parse(args);
  const exporter = await createExporter(options);
  io.stdout.write(`nl-lvs exporter: serving ${exporter.url} (IPVS from ${exporter.source})\n`);
  if (io.signal !== undefined) {
    const signal = io.signal;
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  } else {
    await new Promise<void>((resolve) => exporter.server!.once('close', resolve));
  }
  await exporter.close();
  return 0;
}

export const command: Subcommand = {
  summary: 'serve IPVS and link metrics for Prometheus',
  usage,
  run,
};
