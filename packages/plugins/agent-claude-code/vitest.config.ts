import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'development|production'] } },
  // Vitest runs tests in Vite's SSR environment, which takes its conditions from here, not from
  // `resolve`: without it `@ao/core` resolves to its (possibly stale or missing) dist build.
  test: { name: 'agent-claude-code', include: ['test/**/*.test.ts'], testTimeout: 30_000 },
});
