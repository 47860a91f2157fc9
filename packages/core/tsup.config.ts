import { defineConfig } from 'tsup';

export default defineConfig({
  // attention.ts is also its own entry: the dashboard's browser code imports it (`@ao/core/attention`).
  // plugin-api.ts is `@ao/core/plugin`, what plugins import; it shares chunks with index.ts, so a
  // plugin's AoError and z are the host's.
  entry: ['src/index.ts', 'src/attention.ts', 'src/plugin-api.ts'],
  format: ['esm'],
  target: 'node20',
  sourcemap: true,
  clean: true,
  // execa is ~130 ES modules and yaml ~80 CommonJS files: resolving them cost every `ao status` and
  // `ao spawn` ~80 ms. Bundled, they parse as a few files (execa in a lazily loaded chunk).
  // CommonJS dependencies (cross-spawn) need `require`.
  noExternal: ['execa', 'yaml', 'zod'],
  banner: { js: "import { createRequire as __aoCreateRequire } from 'node:module';\nconst require = __aoCreateRequire(import.meta.url);" },
});
