import { defineConfig } from 'vitest/config';

const exclude = ['**/node_modules/**', '**/data/**'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...exclude, '**/*.integration.test.ts'],
          pool: 'forks',
          // CLI tests start node processes; on a loaded 2-core machine they need more than the default 5 s.
          testTimeout: 30_000,
          setupFiles: ['test/support/fast-check.setup.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.integration.test.ts'],
          exclude,
          // TRICKY: the embedded engine allows one data directory per process, so store tests run in
          // forked workers and each test file makes its own directory.
          pool: 'forks',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
