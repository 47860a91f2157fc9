import { defineConfig } from 'vitest/config';

// One run over every package so the test command ends with a single summary. Projects are named
// by their config files: a bare `packages/*` glob would also match `packages/plugins` itself and run
// every plugin's tests a second time.
export default defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    // Most slow files wait on real CLIs, servers and tmux, not on the CPU: three at once on a
    // 2-core machine (vitest's default there is one). Each file has its own tmux server
    // (scripts/vitest/tmux-per-file.ts), so they cannot see each other's sessions.
    maxWorkers: 3,
    minWorkers: 1,
    projects: ['packages/*/vitest.config.ts', 'packages/plugins/*/vitest.config.ts'],
  },
});
