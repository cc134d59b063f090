import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Sync-daemon tests first: stopping a daemon closes its multicast sockets,
// which in the 6.1 UML kernel can wait minutes behind the teardown of the
// namespaces that earlier files deleted. Then the rest, in the usual order.
class DaemonsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const first = (f: TestSpecification): number => (/daemon|sync/.test(f.moduleId) ? 0 : 1);
    return [...sorted].sort((a, b) => first(a) - first(b));
  }
}

// Three kinds of tests, one runner:
//  unit — no root, no kernel state;
//  host — real kernel of this machine, inside network namespaces the tests create;
//  uml  — inside the user-mode-linux kernel (IPVS), started by scripts/uml/run.sh.
export default defineConfig({
  test: {
    // Root-level only: vitest ignores a per-project sequencer.
    sequence: { sequencer: DaemonsFirst },
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'host',
          include: ['test/host/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Namespaces and interfaces are per test file; files run in parallel.
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'uml',
          // The rtnetlink round trips also run here, against a second kernel version (6.1).
          include: [
            'test/uml/**/*.test.ts',
            'test/host/vxlan-tutorial.test.ts',
            'test/host/vxlan-mesh.test.ts',
            'test/host/link-{bridge,lifecycle,macvlan,vxlan}.test.ts',
            'test/host/{addr,fdb,events}.test.ts',
          ],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          pool: 'forks',
          // UML has one CPU: one worker, files in sequence.
          poolOptions: { forks: { singleFork: true } },
          fileParallelism: false,
        },
      },
    ],
  },
});
