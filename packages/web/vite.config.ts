import { defaultClientConditions, defineConfig } from 'vite';

// The browser app: index.html at the package root, built into dist/client, which the daemon
// serves (see src/server/static.ts). No dev server proxy: the app talks to its own origin.
export default defineConfig({
  root: '.',
  base: '/',
  publicDir: false,
  // Workspace packages are read from their TypeScript sources (`@ao/core/attention`).
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: {
    outDir: 'dist/client',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 700,
  },
});
