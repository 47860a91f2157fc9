import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempDir } from '@ao/testkit/temp-repo';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAo } from './run-ao.js';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '../../../examples/plugin-notifier-file');

let dir: { path: string; cleanup(): Promise<void> };
beforeEach(async () => {
  dir = await createTempDir('ao-cli-plugins-');
});
afterEach(async () => {
  await dir.cleanup();
});

const config = (extra: string) =>
  writeFileSync(join(dir.path, 'agent-orchestrator.yaml'), `projects:\n  app:\n    path: .\n    defaultBranch: main\n${extra}`);

describe('external plugins', () => {
  it('loads the example plugin from a path and lists it', () => {
    config(`    notifiers: [{ plugin: file, path: notes.jsonl }]\nplugins: ["${EXAMPLE}/index.js"]\n`);
    const r = runAo(['plugin', 'ls'], { cwd: dir.path });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('file '));
    expect(line).toMatch(/^file\s+notifier\s+\d+\.\d+\.\d+\s+.*plugin-notifier-file\/index\.js$/);
    expect(r.stdout).toMatch(/^tmux\s+runtime\s+\S+\s+builtin$/m);
  });

  it('loads a plugin package from node_modules', () => {
    const pkg = join(dir.path, 'node_modules', 'ao-plugin-notifier-file');
    mkdirSync(dirname(pkg), { recursive: true });
    cpSync(EXAMPLE, pkg, { recursive: true });
    config(`    notifiers: [console, { plugin: file, path: notes.jsonl }]\nplugins: ["ao-plugin-notifier-file"]\n`);
    const r = runAo(['plugin', 'ls', '--json'], { cwd: dir.path });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; slot: string; source: string }[];
    expect(rows.find((p) => p.name === 'file')).toMatchObject({ slot: 'notifier', source: join(pkg, 'index.js') });
  });

  it("validates the external plugin's config with its own schema", () => {
    config(`    notifiers: [{ plugin: file }]\nplugins: ["${EXAMPLE}/index.js"]\n`);
    const r = runAo(['config', 'show'], { cwd: dir.path });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('projects.app.notifiers[0].path');
  });

  it('a missing package says where it looked', () => {
    config(`plugins: ["ao-plugin-does-not-exist"]\n`);
    const r = runAo(['plugin', 'ls'], { cwd: dir.path });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ao-plugin-does-not-exist');
    expect(r.stderr).toContain('node_modules');
  });

  it('ao plugin create scaffolds a plugin with every method of its slot', () => {
    const r = runAo(['plugin', 'create', 'notifier', 'pager'], { cwd: dir.path });
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir.path, 'ao-plugin-pager', 'index.js'), 'utf8');
    expect(text).toContain("slot: 'notifier'");
    expect(text).toContain('async notify(');
    expect(runAo(['plugin', 'create', 'gizmo', 'x'], { cwd: dir.path }).code).toBe(2);
  });
});
