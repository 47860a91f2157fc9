/**
 * Ten separate node processes create an issue in the same directory at once and must get ten
 * distinct ids. Node 20 cannot import our TypeScript sources, so the test first bundles the
 * plugin's real source (with `@ao/core` and `yaml` inlined) into a temp dir with tsup, the same
 * bundler `pnpm build` uses; each child process `require`s that bundle and calls `createIssue`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let workDir: string;
let bundle: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'ao-tracker-local-mp-'));
  await build({
    entry: { tracker: resolve(import.meta.dirname, '../src/index.ts') },
    format: ['cjs'],
    outDir: workDir,
    platform: 'node',
    target: 'node20',
    noExternal: [/.*/],
    silent: true,
    config: false,
    esbuildOptions(options) {
      options.conditions = ['source'];
    },
  });
  bundle = join(workDir, 'tracker.cjs');
}, 60_000);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const CHILD = `
const plugin = require(process.argv[2]).default;
const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } };
const clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
(async () => {
  const tracker = await plugin.create({}, { logger: silent, clock, project: { name: 'p', path: process.argv[3], defaultBranch: 'main' } });
  const issue = await tracker.createIssue({ title: 'From process ' + process.argv[4] });
  process.stdout.write(issue.id);
})().catch((error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });
`;

function run(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('createIssue across processes', () => {
  it('gives 10 concurrent processes 10 distinct ids', async () => {
    const projectDir = join(workDir, 'project');
    const script = join(workDir, 'child.cjs');
    await writeFile(script, CHILD);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => run(script, [bundle, projectDir, String(i)])));
    for (const r of results) expect(r.stderr).toBe('');
    expect(results.map((r) => r.code)).toEqual(Array(10).fill(0));
    const ids = results.map((r) => Number(r.stdout)).sort((a, b) => a - b);
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const files = await readdir(join(projectDir, '.ao', 'issues'));
    expect(files.filter((f) => f.endsWith('.md'))).toHaveLength(10);
    // No reservation markers or temp files are left behind.
    expect(files.filter((f) => !f.endsWith('.md'))).toEqual([]);
  });
});
