import { findConfigFile, loadConfig, resolveConfig } from '@ao/core';
import { createRegistry, type GlobalOptions } from '../context.js';
import { print, table } from '../render.js';

/** Lists every plugin: built-ins, plus the external ones the config names (loaded and shape-checked). */
export async function run([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const registry = createRegistry();
  const file = globals.config ?? findConfigFile(process.cwd());
  if (file) await resolveConfig(loadConfig({ file, cwd: process.cwd() }), registry);
  const rows = await Promise.all(
    registry.list().map(async (e) => {
      const m = await registry.get(e.slot, e.name);
      return { name: e.name, slot: e.slot, version: m.version, source: e.source, description: m.description ?? '' };
    }),
  );
  if ((opts as { json?: boolean } | undefined)?.json) {
    print(JSON.stringify(rows, null, 2));
    return 0;
  }
  print(table(['name', 'slot', 'version', 'source'], rows.map((r) => [r.name, r.slot, r.version, r.source])));
  return 0;
}
