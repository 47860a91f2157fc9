import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

// Commands are separate chunks, imported only when run, so `ao --help` loads almost nothing.
export default defineConfig({
  entry: ['src/bin.ts'],
  format: ['esm'],
  target: 'node20',
  splitting: true,
  sourcemap: true,
  clean: true,
  define: { __AO_VERSION__: JSON.stringify(version) },
  banner: { js: '#!/usr/bin/env node' },
});
