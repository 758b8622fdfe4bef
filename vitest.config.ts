import { defineConfig } from 'vitest/config';

// Test files that start the simulated province's lab (or the embedded start with its lab) on fixed
// 127.0.x.y addresses and ports: they run one at a time in their own project. Vitest may run that
// project beside the other integration or end-to-end files (which pick free ports); measured here, it
// ran them one after the other.
const LAB_INTEGRATION = ['failover', 'lab-poller', 'embedded', 'crash', 'outage', 'scaled', 'flows-lab'].map(
  (f) => `test/integration/${f}.test.ts`,
);
const LAB_E2E = ['topology', 'i18n', 'topology-map'].map((f) => `test/e2e/${f}.test.ts`);

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
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'console',
          include: ['console/src/**/*.test.ts'],
          environment: 'node',
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
          fileParallelism: false,
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
          fileParallelism: false,
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
