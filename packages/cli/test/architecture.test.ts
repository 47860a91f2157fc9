// The seams the design promises, checked on the tree: core → plugins → daemon (the host) → web and
// cli. Plugins know contracts, never each other; the web package and the daemon name no plugin
// (only the CLI's src/builtins.ts, the list of built-ins, may); the daemon never imports the CLI.
// Plugins see core through its plugin API (`@ao/core/plugin`) only, never the host's root entry.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PLUGINS = join(ROOT, 'packages/plugins');

/** Every .ts/.tsx/.js/.mjs file under `dir`, skipping node_modules and build output. */
function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|tsx|js|mjs|cjs)$/.test(name)) out.push(path);
  }
  return out;
}

/** `file: '@ao/plugin-x'` for each import or dynamic import of a plugin package in `files`. */
function pluginImports(files: string[], except?: string): string[] {
  const found: string[] = [];
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](@ao\/plugin-[^'"/]+)/g)) {
      if (m[1] !== except) found.push(`${relative(ROOT, file)}: ${m[1]}`);
    }
  }
  return found;
}

/** `file: '@ao/x[/sub]'` for each import of the package `name` (or a subpath of it) in `files`. */
function importsOf(files: string[], name: string): string[] {
  const found: string[] = [];
  const pattern = new RegExp(`(?:from\\s+|import\\s*\\(\\s*|require\\s*\\(\\s*)['"](${name.replace('/', '\\/')}(?:/[^'"]*)?)['"]`, 'g');
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(pattern)) found.push(`${relative(ROOT, file)}: ${m[1]}`);
  }
  return found;
}

/** Workspace packages among a package.json's dependencies of every kind. */
function dependencies(packageDir: string): string[] {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string | undefined>;
  const kinds = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];
  return kinds.flatMap((kind) => Object.keys((pkg[kind] as Record<string, string> | undefined) ?? {}));
}

/** Plugin packages among a package.json's dependencies of every kind. */
function pluginDependencies(packageDir: string): string[] {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string | undefined>;
  const kinds = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];
  return kinds.flatMap((kind) => Object.keys((pkg[kind] as Record<string, string> | undefined) ?? {}).filter((name) => name.startsWith('@ao/plugin-')).map((name) => `${kind}: ${name}`));
}

describe('architecture: no package names another plugin', () => {
  const plugins = readdirSync(PLUGINS).filter((name) => existsSync(join(PLUGINS, name, 'package.json')));

  it.each(plugins)('plugin %s imports and depends on no other plugin (sources and tests)', (name) => {
    const dir = join(PLUGINS, name);
    const self = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string }).name;
    expect(pluginImports(sourceFiles(dir), self)).toEqual([]);
    expect(pluginDependencies(dir)).toEqual([]);
  });

  it('the web package imports and depends on no plugin', () => {
    const dir = join(ROOT, 'packages/web');
    expect(pluginImports([...sourceFiles(join(dir, 'src')), ...sourceFiles(join(dir, 'test'))])).toEqual([]);
    expect(pluginDependencies(dir)).toEqual([]);
  });

  it('the daemon names no plugin: what a plugin needs there it adds with configureDaemon', () => {
    const dir = join(ROOT, 'packages/daemon');
    expect(sourceFiles(join(dir, 'src')).length).toBeGreaterThan(0);
    expect(pluginImports([...sourceFiles(join(dir, 'src')), ...sourceFiles(join(dir, 'test'))])).toEqual([]);
    expect(pluginDependencies(dir)).toEqual([]);
  });
});

describe('architecture: the daemon is the host, the CLI and the dashboard its clients', () => {
  const daemon = join(ROOT, 'packages/daemon');
  const daemonFiles = (): string[] => [...sourceFiles(join(daemon, 'src')), ...sourceFiles(join(daemon, 'test'))];

  it('the daemon imports and depends on neither the CLI nor the dashboard (the CLI mounts the dashboard on it)', () => {
    expect([...importsOf(daemonFiles(), '@ao/cli'), ...importsOf(daemonFiles(), '@ao/web')]).toEqual([]);
    expect(dependencies(daemon).filter((name) => name === '@ao/cli' || name === '@ao/web')).toEqual([]);
  });

  it('no daemon code is left in the CLI: it reaches the daemon through @ao/daemon', () => {
    expect(existsSync(join(ROOT, 'packages/cli/src/daemon'))).toBe(false);
    expect(importsOf(sourceFiles(join(ROOT, 'packages/cli/src')), '@ao/daemon').length).toBeGreaterThan(0);
  });

  it('the web package imports and depends on no CLI', () => {
    const web = join(ROOT, 'packages/web');
    expect(importsOf([...sourceFiles(join(web, 'src')), ...sourceFiles(join(web, 'test'))], '@ao/cli')).toEqual([]);
    expect(dependencies(web).filter((name) => name === '@ao/cli')).toEqual([]);
  });
});

/** The names (values and types) a module of core exports, as TypeScript sees them through its `export *`s. */
function exportedNames(...files: string[]): string[][] {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'packages/core/tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  const program = ts.createProgram(files, { ...parsed?.options, noEmit: true });
  const checker = program.getTypeChecker();
  return files.map((file) => {
    const module = checker.getSymbolAtLocation(program.getSourceFile(file)!);
    return module ? checker.getExportsOfModule(module).map((symbol) => symbol.name) : [];
  });
}

describe('architecture: plugins see the plugin API, not the host', () => {
  const plugins = readdirSync(PLUGINS).filter((name) => existsSync(join(PLUGINS, name, 'package.json')));
  const [root = [], plugin = []] = exportedNames(join(ROOT, 'packages/core/src/index.ts'), join(ROOT, 'packages/core/src/plugin-api.ts'));

  it.each(plugins)('plugin %s imports core only as @ao/core/plugin in its sources', (name) => {
    const files = sourceFiles(join(PLUGINS, name, 'src'));
    expect(importsOf(files, '@ao/core').length).toBeGreaterThan(0);
    expect(importsOf(files, '@ao/core').filter((found) => !found.endsWith(': @ao/core/plugin'))).toEqual([]);
  });

  it(`@ao/core/plugin exports ${plugin.length} names, the root @ao/core ${root.length}: a subset, without the host`, () => {
    expect(plugin.length).toBeGreaterThan(0);
    expect(plugin.length).toBeLessThan(root.length);
    // Everything a plugin may use is also the host's (one implementation, one AoError and one z).
    expect(plugin.filter((name) => !root.includes(name))).toEqual([]);
    // The host's own machinery stays out of it: config, registry, sessions, lifecycle, the daemon's files.
    const host = ['loadConfig', 'resolveConfig', 'createPluginRegistry', 'createPluginHost', 'createSessionManager', 'createSessionStore', 'createLifecycleManager', 'createSpawnQueue', 'createApprovalStore', 'daemonFiles'];
    expect(host.filter((name) => !root.includes(name))).toEqual([]);
    expect(plugin.filter((name) => host.includes(name))).toEqual([]);
  });
});
