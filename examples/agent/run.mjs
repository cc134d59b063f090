#!/usr/bin/env node
// The desired-state agent, in a throw-away network namespace:
//   1. start it on config.json: it builds the overlay (and the IPVS service,
//      when the kernel has IPVS) and logs one JSON line per change;
//   2. someone else deletes one of its FDB entries: it is back within a second;
//   3. the file changes (a peer is replaced): only that peer's entries change;
//   4. stop, as on SIGTERM.
// The same agent runs as a program:  nl-lvs agent --config examples/agent/config.json
// Run as root, after `npm run build`:  node examples/agent/run.mjs
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, Ipvs, Rtnl } from 'nl-lvs';

const step = (title) => console.log(`\n=== ${title} ===`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ns = `agentdemo-${randomBytes(3).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'nl-lvs-agent-'));

// Sandbox setup, not library use: a namespace stands in for a machine.
execFileSync('ip', ['netns', 'add', ns]);
process.once('exit', () => {
  try { execFileSync('ip', ['netns', 'del', ns]); } catch { /* gone */ }
  rmSync(dir, { recursive: true, force: true });
});
process.once('SIGINT', () => process.exit(130));

const rtnl = Rtnl.open({ netns: ns });
await rtnl.links.create({ kind: 'veth', name: 'eth0', up: true, peer: { name: 'eth1' } });
await rtnl.addresses.add({ dev: 'eth0', address: '198.51.100.1/24' });

// The example's config, pointed at the sandbox. IPVS only where the kernel has it.
const config = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'config.json'), 'utf8'));
config.netns = ns;
config.stateFile = join(dir, 'demo.json');
const ipvs = Ipvs.open({ netns: ns });
try {
  await ipvs.info();
} catch (err) {
  console.log(`(no IPVS here: ${err.message.split('\n')[0]}; managing the overlay only)`);
  delete config.ipvs;
}
ipvs.close();
const path = join(dir, 'agent.json');
const save = (c) => {
  writeFileSync(`${path}.tmp`, JSON.stringify(c, null, 2));
  renameSync(`${path}.tmp`, path); // as editors do: the agent watches the directory
};
save(config);

step('1. Start: the agent applies config.json');
const agent = new Agent({ config: path, log: (line) => console.log(JSON.stringify(line)) });
await agent.start();

step('2. Drift: someone deletes the replication entry for 198.51.100.3');
await rtnl.fdb.delete({ dev: 'vxlan42', mac: '00:00:00:00:00:00', dst: '198.51.100.3' });
await sleep(1000);

step('3. The file changes: peer 198.51.100.3 is replaced by 198.51.100.4');
config.overlay.peers[1] = { underlay: '198.51.100.4', overlayIp: '192.0.2.4', mac: '02:00:00:00:00:04' };
save(config);
await sleep(1000);

step('4. Stop (what SIGTERM does)');
await agent.stop();
const entries = await rtnl.fdb.list({ dev: 'vxlan42' });
console.log('remotes now:', entries.filter((e) => e.dst).map((e) => `${e.mac} → ${e.dst}`));
rtnl.close();
