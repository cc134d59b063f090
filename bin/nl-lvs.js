#!/usr/bin/env node
// nl-lvs: the package's command with subcommands (lib/cli/nl-lvs), e.g.
// `nl-lvs exporter --listen 127.0.0.1:9749`. Runs the compiled CLI from dist/
// (npm run build).
import { main } from '../dist/cli/nl-lvs/main.js';

// `nl-lvs ... | head` closes the pipe early: not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

// Long-running commands (the exporter) stop cleanly on SIGINT / SIGTERM.
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => stop.abort());

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: stop.signal });
