import { defineConfig } from 'vitest/config';

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
          globalSetup: ['test/support/global-setup.ts'],
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
          globalSetup: ['test/support/global-setup.ts'],
          include: ['test/integration/**/*.test.ts'],
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
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
