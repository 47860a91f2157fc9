import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AoError, PLUGIN_SLOTS, SLOT_METHODS, type PluginSlot } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { print } from '../render.js';

/** Scaffolds a working external plugin package: package.json, index.js with every method of its slot. */
export async function run([slot, name, opts]: unknown[], _globals: GlobalOptions): Promise<number> {
  const s = String(slot);
  const n = String(name);
  if (!PLUGIN_SLOTS.includes(s as PluginSlot)) {
    throw new AoError('USAGE', `Unknown slot "${s}": expected one of ${PLUGIN_SLOTS.join(', ')}`);
  }
  if (!/^[a-z0-9][a-z0-9-]*$/.test(n)) throw new AoError('USAGE', `Plugin name "${n}" must be lowercase letters, digits and dashes`);
  const dir = resolve((opts as { dir?: string } | undefined)?.dir ?? `ao-plugin-${n}`);
  if (existsSync(dir)) throw new AoError('USAGE', `${dir} already exists: pick another name or --dir`);
  mkdirSync(dir, { recursive: true });
  const methods = SLOT_METHODS[s as PluginSlot]
    .map(
      (m) =>
        `    /** See the ${s} contract (packages/core/src/contracts/${s}.ts) for when ${m} is called. */\n    async ${m}(...args) {\n      throw new Error('${n}: ${m} is not written yet');\n    },`,
    )
    .join('\n');
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `ao-plugin-${n}`, version: '0.1.0', type: 'module', main: 'index.js', dependencies: { zod: '^3.25.0' } }, null, 2)}\n`,
  );
  writeFileSync(
    join(dir, 'index.js'),
    `// An ao ${s} plugin. Add it to agent-orchestrator.yaml:\n//   plugins: ["./${n === '' ? '' : `ao-plugin-${n}`}/index.js"]\n// and select it, e.g. \`${s}: ${n}\` (see docs/plugins.md).\nimport { z } from 'zod';\n\nexport default {\n  name: '${n}',\n  slot: '${s}',\n  version: '0.1.0',\n  description: 'TODO: one line for ao plugin ls',\n  configSchema: z.object({}).strict(),\n  create(config, ctx) {\n    return {\n${methods}\n    };\n  },\n};\n`,
  );
  print(`created ${dir} (a ${s} plugin named ${n}); run npm install there, then list it under plugins: in your config`);
  return 0;
}
