// IPVS apply() (a whole desired state made real in one call) against what an
// ipvsadm user does for the same result, inside the user-mode-linux kernel:
// from empty, and a 1% change of the full state (workload.mjs defines both).
import { join } from 'node:path';
import { nlLvs, floor, cli, which } from '../harness/tools.mjs';
import { fillIpvs, nlIpvsadm } from './ipvs.mjs';
import { changedServices, ipvsState, restoreOf, restoreOfChanges, expectedProcLines, procIpvsLines, writeText, CHANGE_KINDS } from '../harness/workload.mjs';

/** undefined when /proc/net/ip_vs of the namespace shows exactly `expected` (from expectedProcLines). */
function stateProblem({ bench, ns }, expected) {
  const got = procIpvsLines(bench.sh('ip', ['netns', 'exec', ns, 'cat', '/proc/net/ip_vs']));
  const want = new Set(expected);
  const have = new Set(got);
  const missing = expected.filter((l) => !have.has(l));
  const extra = got.filter((l) => !want.has(l));
  if (missing.length === 0 && extra.length === 0 && got.length === expected.length) return undefined;
  const first = missing.length ? `first missing: ${missing[0]}` : extra.length ? `first unexpected: ${extra[0]}` : 'duplicates';
  return `kernel state differs: ${got.length} objects, expected ${expected.length}; ${missing.length} missing, ${extra.length} unexpected (${first})`;
}

/** The ownership file of nl-lvs's apply(): on the guest's tmpfs, one per namespace. */
const stateFile = (ns) => `/tmp/${ns}-apply.json`;

export function ipvsApplyCases(bench, sizes) {
  const { services: n, dests: d } = sizes;
  const total = n + n * d;
  const changes = changedServices(n);
  const before = ipvsState(n, d);
  const after = ipvsState(n, d, changes);
  const beforeLines = expectedProcLines(before);
  const afterLines = expectedProcLines(after);
  const file = (name, text) => writeText(join(bench.work, name), text);
  const restoreBefore = restoreOf(before);
  const restoreAfter = restoreOf(after);
  const restoreDiff = restoreOfChanges(n, d, changes);
  file('ipvs-apply-before.txt', restoreBefore);
  file('ipvs-apply-after.txt', restoreAfter);
  file('ipvs-apply-diff.txt', restoreDiff);
  const params = { ...sizes, changed: changes.size };
  const applyTool = (change) =>
    nlLvs('nl-lvs-ipvs.mjs', (p) => ['apply', '--n', String(p.services), '--d', String(p.dests), '--change', String(change)], { label: 'nl-lvs ipvs.apply()' });
  // apply() is given the nl-lvs tool's namespace for its ownership file.
  const withState = (tool) => ({
    ...tool,
    command: (ctx) => {
      const spec = tool.command(ctx);
      return { ...spec, argv: [...spec.argv, '--state', stateFile(ctx.ns)] };
    },
  });

  const fromEmpty = {
    id: 'ipvs-apply-empty',
    title: `IPVS apply() from empty: ${n} TCP services × ${d} masq destinations (${total} objects)`,
    what: 'making the whole state from an empty table: nl-lvs `ipvs.apply(desired)` (read the kernel, diff, one batch, ownership file written to tmpfs), against `ipvsadm -R` of the same state',
    params,
    verify: (ctx, parsed, tool) => {
      if (tool.id === 'nl-lvs' && parsed.items !== total) return `apply() sent ${parsed.items} operations, expected ${total}`;
      return stateProblem(ctx, beforeLines);
    },
    tools: [
      withState(applyTool(0)),
      nlIpvsadm('nl-ipvsadm-R', 'nl-ipvsadm -R (file on stdin)', () => ['-R'], { input: () => restoreBefore }),
      cli('ipvsadm-R', 'ipvsadm -R (file on stdin)', () => ({ argv: ['ipvsadm', '-R'], input: restoreBefore }), { unavailable: () => which('ipvsadm') }),
      { ...floor('ipvs_floor', (p) => ['create', String(p.services), String(p.dests)]), note: 'a bulk create (no read, no diff): the kernel\'s own cost' },
    ],
  };

  const kinds = CHANGE_KINDS.map((k) => `${[...changes.values()].filter((x) => x === k).length} ${k}`).join(', ');
  const oneChange = {
    id: 'ipvs-apply-1pct',
    title: `IPVS apply() of a 1% change: ${changes.size} of ${n} services changed (of ${n} × ${d})`,
    what: `making a changed state from the full one (setup, untimed: the C floor creates the ${n} × ${d} state). Changed services, spread evenly: ${kinds} (scheduler rr → wlc; destination 0's weight 1 → 2; a destination added; the last destination removed: see workload.mjs). nl-lvs: \`ipvs.apply(newState)\` after an untimed apply of the old state, as an agent that applied it earlier (its ownership file in place); removed destinations are deleted at once (\`drainTimeout: 0\`, as \`ipvsadm -d\` does). ipvsadm: \`ipvsadm -C\` then \`ipvsadm -R\` of the whole new state, what a user of saved ipvsadm state files does, or \`ipvsadm -R\` of only the ${changes.size} edit commands, written by hand`,
    params,
    setup: fillIpvs,
    verify: (ctx, parsed, tool) => {
      if (tool.id === 'nl-lvs' && parsed.warm_ops !== 0) return `the untimed apply of the old state sent ${parsed.warm_ops} operations, expected 0 (the setup state differs)`;
      if (tool.id === 'nl-lvs' && parsed.items !== changes.size) return `apply() sent ${parsed.items} operations, expected ${changes.size}`;
      return stateProblem(ctx, afterLines);
    },
    tools: [
      withState(applyTool(1)),
      cli('ipvsadm-C-R', 'ipvsadm -C, then ipvsadm -R of the whole new state', () => ({ argv: ['sh', '-c', 'ipvsadm -C && exec ipvsadm -R'], input: restoreAfter }), {
        unavailable: () => which('ipvsadm'),
        note: 'one shell, two ipvsadm processes',
      }),
      cli('ipvsadm-R-diff', 'ipvsadm -R of the diff (edit commands only)', () => ({ argv: ['ipvsadm', '-R'], input: restoreDiff }), {
        unavailable: () => which('ipvsadm'),
        note: `${changes.size} commands: -E, -e, -a, -d`,
      }),
      nlIpvsadm('nl-ipvsadm-R-diff', 'nl-ipvsadm -R of the diff (edit commands only)', () => ['-R'], { input: () => restoreDiff }),
    ],
  };

  return [fromEmpty, oneChange];
}
