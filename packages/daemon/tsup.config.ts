import { defineConfig } from 'tsup';

// Two entries: the host (`runDaemon`, loaded by `ao start --foreground` and `ao watch`) and the
// client (start, stop, notify), which every command that changes a session loads.
export default defineConfig({
  entry: ['src/index.ts', 'src/client.ts'],
  format: ['esm'],
  target: 'node20',
  splitting: true,
  sourcemap: true,
  clean: true,
});
