import { defineConfig } from 'vitest/config';

// Local runner for the console's unit tests: `npx vitest run --root console`.
export default defineConfig({
  test: {
    name: 'console',
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
