import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, createTempRepo, type TempDir } from '../src/temp-repo.js';

const made: TempDir[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((d) => d.cleanup()));
});

describe('createTempDir', () => {
  it('makes an empty directory that cleanup removes', async () => {
    const dir = await createTempDir('ao-kit-');
    expect(existsSync(dir.path)).toBe(true);
    expect(dir.path).toContain('ao-kit-');
    await dir.cleanup();
    expect(existsSync(dir.path)).toBe(false);
    await dir.cleanup();
  });
});

describe('createTempRepo', () => {
  // As on a CI box with no global identity: only the repo's local config may make commits work.
  const saved = { GIT_CONFIG_GLOBAL: process.env.GIT_CONFIG_GLOBAL, GIT_CONFIG_NOSYSTEM: process.env.GIT_CONFIG_NOSYSTEM };
  beforeAll(() => {
    process.env.GIT_CONFIG_GLOBAL = '/dev/null';
    process.env.GIT_CONFIG_NOSYSTEM = '1';
  });
  afterAll(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('makes a repo with one commit on main by default, and commits work in it', async () => {
    const repo = await createTempRepo();
    made.push(repo);
    expect(await repo.git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(await repo.git('rev-list', '--count', 'HEAD')).toBe('1');
    expect(await repo.git('status', '--porcelain')).toBe('');
    expect(await readFile(join(repo.path, 'README.md'), 'utf8')).toContain('#');
    await repo.git('commit', '--quiet', '--allow-empty', '-m', 'second');
    expect(await repo.git('log', '-1', '--format=%an <%ae>')).toBe('ao test <ao-test@example.invalid>');
    expect(await repo.git('rev-parse', '--show-toplevel')).toBe(repo.path);
  });

  it('uses the given branch and files', async () => {
    const repo = await createTempRepo({ branch: 'master', files: { 'src/a.ts': 'export {};\n', 'b.txt': 'b' } });
    made.push(repo);
    expect(await repo.git('symbolic-ref', '--short', 'HEAD')).toBe('master');
    expect((await repo.git('ls-files')).split('\n').sort()).toEqual(['b.txt', 'src/a.ts']);
  });

  it('makes a bare repo holding the initial commit', async () => {
    const repo = await createTempRepo({ bare: true, files: { 'x.txt': 'x' } });
    made.push(repo);
    expect(await repo.git('rev-parse', '--is-bare-repository')).toBe('true');
    expect(await repo.git('ls-tree', '--name-only', 'main')).toBe('x.txt');
  });

  it('rejects with the git error when a command fails, and cleanup removes the repo', async () => {
    const repo = await createTempRepo();
    await expect(repo.git('rev-parse', '--verify', 'no-such-ref')).rejects.toThrow(/no-such-ref/);
    await repo.cleanup();
    expect(existsSync(repo.path)).toBe(false);
  });
});
