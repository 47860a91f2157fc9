import { fileURLToPath } from 'node:url';
import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

const tmuxPerFile = fileURLToPath(new URL('./scripts/vitest/tmux-per-file.ts', import.meta.url));

/**
 * The one definition of a package's vitest project: each `packages/<pkg>/vitest.config.ts` (and
 * `packages/plugins/<name>/vitest.config.ts`) is `export default project('<name>')`, so the root run
 * (its `projects` globs) and `pnpm -F <pkg> test` use the same settings. `overrides` only for what
 * differs, e.g. longer timeouts for packages that start daemons or servers.
 */
export function project(name: string, overrides: { testTimeout?: number; hookTimeout?: number } = {}): UserWorkspaceConfig {
  return defineProject({
    // Workspace packages resolve to their TypeScript sources (the `source` export condition), never
    // to a possibly stale or missing dist build. Vitest runs tests in Vite's SSR environment, which
    // takes its conditions from `ssr.resolve`, not from `resolve` (Vite 6+ applies that to the client).
    resolve: { conditions: ['source'] },
    ssr: { resolve: { conditions: ['source', 'module', 'node', 'development|production'] } },
    test: { name, include: ['test/**/*.test.ts'], setupFiles: [tmuxPerFile], testTimeout: 30_000, ...overrides },
  });
}
