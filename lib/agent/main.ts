// Entry point of the agent as a program:
//   node dist/agent/main.js --config FILE
//   node node_modules/vite-node/vite-node.mjs lib/agent/main.ts --config FILE   (from source)
// `nl-lvs agent` runs the same runAgent().
import { runAgent } from './cli.js';

const status = await runAgent(process.argv.slice(2));
// Every socket and watcher is closed by now; exit even if a stray handle lingers.
process.exit(status);
