import { defineConfig } from 'vitest/config';

// One run over every package so the test command ends with a single summary. Projects are named
// by their config files: a bare `packages/*` glob would also match `packages/plugins` itself and run
// every plugin's tests a second time.
export default defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    projects: ['packages/*/vitest.config.ts', 'packages/plugins/*/vitest.config.ts'],
  },
});
