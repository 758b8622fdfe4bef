import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Test files that start the simulated province's lab (or the embedded start with its lab) on the demo
// province's fixed 127.0.x.y addresses and ports: they run one at a time in their own projects, which
// `test/run-tests.mjs` runs in a second vitest process beside the others (one vitest run takes its
// projects' groups one after the other). `embedded-lab-moves` holds a port on sc-core-a's address and
// `e2e/console` starts the embedded lab, so they are lab files too.
const LAB_INTEGRATION = [
  'failover',
  'lab-poller',
  'embedded',
  'embedded-lab-moves',
  'crash',
  'outage',
  'scaled',
  'flows-lab',
].map((f) => `test/integration/${f}.test.ts`);
const LAB_E2E = ['topology', 'i18n', 'topology-map', 'console'].map((f) => `test/e2e/${f}.test.ts`);

// Unit and console files at once (vitest's default is one fewer than the cores: one file at a time
// on a 2-core machine, while most files wait on servers and child processes). The two projects share
// one group, so they take the same number. TIANSHU_TEST_WORKERS overrides.
const WORKERS = Number(process.env.TIANSHU_TEST_WORKERS) || Math.max(2, availableParallelism());
// Integration and end-to-end files (free ports) at once: one by default, since they run beside the
// lab lane (test/run-tests.mjs) and several assert that something happens within seconds; measured
// on a loaded 2-core machine, two at once missed such deadlines. TIANSHU_TEST_SERVER_WORKERS raises it.
const SERVER_WORKERS = Number(process.env.TIANSHU_TEST_SERVER_WORKERS) || 1;

// Workspace packages resolve to their TypeScript sources in tests, so tests never need a build.
// The node-only receiver subpath first: an alias also matches what starts with its name and "/".
const alias = [
  {
    find: '@tianshu/protocol/receiver',
    replacement: new URL('./protocol/src/events/receiver.ts', import.meta.url).pathname,
  },
  { find: '@tianshu/protocol', replacement: new URL('./protocol/src/index.ts', import.meta.url).pathname },
];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          globalSetup: ['test/support/global-setup.ts', 'test/support/pglite-template.ts'],
          include: ['protocol/src/**/*.test.ts', 'control-plane/src/**/*.test.ts', 'agents/src/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          // Starting a control plane (PGlite, chDB, policies, the demo inventory) in a hook took
          // over 60 s with two files at once on a crowded 2-core machine.
          hookTimeout: 120_000,
          maxWorkers: WORKERS,
        },
      },
      {
        test: {
          name: 'console',
          include: ['console/src/**/*.test.ts'],
          environment: 'node',
          maxWorkers: WORKERS,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          globalSetup: ['test/support/global-setup.ts', 'test/support/pglite-template.ts'],
          include: ['test/integration/**/*.test.ts'],
          exclude: LAB_INTEGRATION,
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Free ports only: files may run side by side.
          maxWorkers: SERVER_WORKERS,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration-lab',
          globalSetup: ['test/support/global-setup.ts', 'test/support/pglite-template.ts'],
          include: LAB_INTEGRATION,
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          globalSetup: ['test/support/pglite-template.ts'],
          include: ['test/e2e/**/*.test.ts'],
          exclude: LAB_E2E,
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Free ports only: files may run side by side (each with its own Chromium).
          maxWorkers: SERVER_WORKERS,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e-lab',
          globalSetup: ['test/support/pglite-template.ts'],
          include: LAB_E2E,
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
