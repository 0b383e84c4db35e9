import { defineConfig } from 'vitest/config';

export const TEST_OUTPUT_DIR = 'test-output';

export default defineConfig({
  test: {
    include: ['test/**/*.spec.ts'],
    globalSetup: ['test/setup/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/setup/summary-reporter.ts'],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'streams/**/*.ts', 'machines/**/*.ts', 'strategies/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
    },
  },
});
