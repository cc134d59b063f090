import { defineConfig } from 'vitest/config';

// Three kinds of tests, one runner:
//  unit — no root, no kernel state;
//  host — real kernel of this machine, inside network namespaces the tests create;
//  uml  — inside the user-mode-linux kernel (IPVS), started by scripts/uml/run.sh.
export default defineConfig({
  test: {
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
