import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyPluginManifest, PluginContext, PluginSlot, SlotInstances } from '../contracts/plugin.js';
import { AoError, describeError } from '../errors.js';
import { assertInstance, assertManifest } from './shape.js';

/** A built-in plugin: known by slot and name without importing it; loaded when first needed. */
export interface BuiltinPlugin {
  slot: PluginSlot;
  name: string;
  load: () => Promise<{ default: unknown }>;
}

export interface PluginEntry {
  slot: PluginSlot;
  name: string;
  /** `builtin`, or the resolved file of an external plugin. */
  source: 'builtin' | string;
  /** The spec as written in `plugins:` (external only). */
  spec?: string;
  load(): Promise<AnyPluginManifest>;
}

export interface PluginRegistry {
  /** Every known plugin, optionally of one slot, sorted by slot then name. */
  list(slot?: PluginSlot): PluginEntry[];
  /** The entry for `slot`/`name`, or undefined. */
  find(slot: PluginSlot, name: string): PluginEntry | undefined;
  /** Loads a plugin's manifest. Throws `PLUGIN_NOT_FOUND` listing the available names of that slot. */
  get(slot: PluginSlot, name: string, where?: string): Promise<AnyPluginManifest>;
  /**
   * Imports external plugins named in the config's `plugins:` list, resolved from `fromDir`
   * (a path starting with `.` or `/`, or an npm package in a node_modules above it).
   */
  loadExternal(specs: readonly string[], fromDir: string, configFile?: string): Promise<void>;
  /** Validates `config` with the plugin's schema (done by the config resolver) and creates an instance. */
  create<S extends PluginSlot>(slot: S, name: string, config: unknown, ctx: PluginContext): Promise<SlotInstances[S]>;
}

/** Finds the entry file of an npm package installed in a node_modules at or above `fromDir`. */
export function resolvePackageEntry(spec: string, fromDir: string): string | undefined {
  let dir = resolve(fromDir);
  for (;;) {
    const pkgDir = join(dir, 'node_modules', spec);
    const pkgJson = join(pkgDir, 'package.json');
    if (existsSync(pkgJson)) {
      const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as {
        exports?: unknown;
        module?: string;
        main?: string;
      };
      let entry: string | undefined;
      const exp = pkg.exports;
      if (typeof exp === 'string') entry = exp;
      else if (exp && typeof exp === 'object') {
        const root = ((exp as Record<string, unknown>)['.'] ?? exp) as unknown;
        if (typeof root === 'string') entry = root;
        else if (root && typeof root === 'object') {
          const r = root as Record<string, unknown>;
          const pick = r.import ?? r.default ?? r.node ?? r.require;
          if (typeof pick === 'string') entry = pick;
          else if (pick && typeof pick === 'object') {
            const d = (pick as Record<string, unknown>).default;
            if (typeof d === 'string') entry = d;
          }
        }
      }
      entry ??= pkg.module ?? pkg.main ?? 'index.js';
      return join(pkgDir, entry);
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function importPlugin(file: string, origin: string): Promise<AnyPluginManifest> {
  let mod: { default?: unknown; plugin?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (cause) {
    throw new AoError('PLUGIN_LOAD_FAILED', `Plugin ${origin} failed to load: ${describeError(cause)}`, { cause, details: { file } });
  }
  return assertManifest(mod.default ?? mod.plugin, origin);
}

export function createPluginRegistry(builtins: readonly BuiltinPlugin[] = []): PluginRegistry {
  const entries = new Map<string, PluginEntry>();
  const key = (slot: string, name: string): string => `${slot}:${name}`;
  const manifests = new Map<string, Promise<AnyPluginManifest>>();

  for (const b of builtins) {
    entries.set(key(b.slot, b.name), {
      slot: b.slot,
      name: b.name,
      source: 'builtin',
      load: async () => {
        let mod: { default: unknown };
        try {
          mod = await b.load();
        } catch (cause) {
          throw new AoError('PLUGIN_LOAD_FAILED', `Built-in ${b.slot} plugin "${b.name}" failed to load: ${describeError(cause)} (reinstall ao: ./scripts/setup)`, { cause });
        }
        return assertManifest(mod.default, `built-in ${b.slot} "${b.name}"`);
      },
    });
  }

  const registry: PluginRegistry = {
    list(slot) {
      return [...entries.values()]
        .filter((e) => !slot || e.slot === slot)
        .sort((a, b) => a.slot.localeCompare(b.slot) || a.name.localeCompare(b.name));
    },
    find(slot, name) {
      return entries.get(key(slot, name));
    },
    get(slot, name, where) {
      const entry = entries.get(key(slot, name));
      if (!entry) {
        const available = registry.list(slot).map((e) => e.name);
        return Promise.reject(
          new AoError(
            'PLUGIN_NOT_FOUND',
            `${where ? `${where}: ` : ''}unknown ${slot} plugin "${name}" (available: ${available.join(', ') || 'none'}; external plugins go in \`plugins:\`)`,
            { details: { slot, name, available } },
          ),
        );
      }
      let m = manifests.get(key(slot, name));
      if (!m) {
        m = entry.load();
        manifests.set(key(slot, name), m);
      }
      return m;
    },
    async loadExternal(specs, fromDir, configFile) {
      for (const spec of specs) {
        const isPath = spec.startsWith('.') || isAbsolute(spec);
        const file = isPath ? resolve(fromDir, spec) : resolvePackageEntry(spec, fromDir);
        const origin = `"${spec}"${configFile ? ` (plugins: in ${configFile})` : ''}`;
        if (!file || !existsSync(file)) {
          throw new AoError(
            'PLUGIN_NOT_FOUND',
            isPath
              ? `Plugin ${origin}: file ${file} does not exist`
              : `Plugin ${origin}: package not found in node_modules above ${fromDir} (install it with your package manager)`,
            { details: { spec } },
          );
        }
        const manifest = await importPlugin(file, `${origin} from ${file}`);
        const k = key(manifest.slot, manifest.name);
        const existing = entries.get(k);
        if (existing && existing.source !== file) {
          throw new AoError(
            'PLUGIN_INVALID',
            `Plugin ${origin} from ${file} is named "${manifest.name}", like the ${existing.source === 'builtin' ? 'built-in' : `one from ${existing.source}`} ${manifest.slot} plugin: give it another name`,
          );
        }
        entries.set(k, { slot: manifest.slot, name: manifest.name, source: file, spec, load: async () => manifest });
        manifests.set(k, Promise.resolve(manifest));
      }
    },
    async create(slot, name, config, ctx) {
      const manifest = await registry.get(slot, name);
      if (manifest.slot !== slot) {
        throw new AoError('PLUGIN_INVALID', `Plugin "${name}" is a ${manifest.slot} plugin, not a ${slot} plugin`);
      }
      const parsed = manifest.configSchema.safeParse(config);
      if (!parsed.success) {
        throw new AoError('PLUGIN_CONFIG_INVALID', `Invalid config for ${slot} plugin "${name}": ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
      }
      let instance: unknown;
      try {
        instance = await manifest.create(parsed.data, ctx);
      } catch (cause) {
        if (cause instanceof AoError) throw cause;
        throw new AoError('PLUGIN_LOAD_FAILED', `${slot} plugin "${name}" failed to start: ${describeError(cause)}`, { cause });
      }
      const entry = entries.get(key(slot, name));
      assertInstance(slot, instance, entry?.source === 'builtin' ? `built-in ${slot} "${name}"` : `"${name}" from ${entry?.source}`);
      return instance as SlotInstances[typeof slot];
    },
  };
  return registry;
}
