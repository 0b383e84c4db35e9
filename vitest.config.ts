import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The JSON report feeds the plain `N passed, N failed` line that .ci/run prints.
    reporters: ['default', ['json', { outputFile: 'test-output/vitest.json' }]],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'streams/**/*.ts', 'machines/**/*.ts', 'strategies/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'test-output/coverage',
    },
  },
});
