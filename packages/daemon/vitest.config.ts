import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['source'] },
  // Vitest resolves workspace packages through the SSR conditions: point them at the TS sources.
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'development|production'] } },
  test: { name: 'daemon', include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
});
