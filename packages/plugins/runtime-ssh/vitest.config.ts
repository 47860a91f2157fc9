import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['source'] },
  // Vitest resolves workspace packages through the SSR conditions: point them at the TS sources.
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'development|production'] } },
  // Vite 6+ applies `resolve.conditions` to the client only; tests run in the SSR environment.
  test: { name: 'runtime-ssh', include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 120_000 },
});
