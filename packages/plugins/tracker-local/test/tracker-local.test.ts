import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AoError, createPluginContext, processStartTime, systemClock, type Logger, type Tracker } from '@ao/core/plugin';
import plugin, { createLocalTracker, type LocalTracker } from '../src/index.js';
import { withIssueLock } from '../src/issue-dir.js';

/** A logger that keeps warnings, so tests can see what `listIssues` reported. */
function recordingLogger(): Logger & { warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  const logger: Logger & { warnings: typeof warnings } = {
    warnings,
    debug: () => {},
    info: () => {},
    warn: (obj) => {
      warnings.push(typeof obj === 'string' ? { msg: obj } : (obj as Record<string, unknown>));
    },
    error: () => {},
    child: () => logger,
  };
  return logger;
}

async function rejection(promise: Promise<unknown>): Promise<AoError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AoError);
    return error as AoError;
  }
  throw new Error('expected the promise to reject with an AoError');
}

let projectDir: string;
let logger: ReturnType<typeof recordingLogger>;
let tracker: Tracker;
let issuesDir: string;

beforeEach(async () => {
  projectDir = await mkdtemp(join(tmpdir(), 'ao-tracker-local-'));
  issuesDir = join(projectDir, '.ao', 'issues');
  logger = recordingLogger();
  const ctx = createPluginContext({
    configDir: projectDir,
    env: { AO_HOME: join(projectDir, 'ao-home') },
    logger,
    project: { name: 'shop', path: projectDir, defaultBranch: 'main' },
  });
  tracker = await plugin.create(plugin.configSchema.parse({}), ctx);
});

afterEach(async () => {
  await rm(projectDir, { recursive: true, force: true });
});

describe('manifest', () => {
  it('is the local tracker and rejects unknown config keys', () => {
    expect(plugin.name).toBe('local');
    expect(plugin.slot).toBe('tracker');
    expect(plugin.configSchema.safeParse({ dir: 'issues' }).success).toBe(true);
    expect(plugin.configSchema.safeParse({ folder: 'issues' }).success).toBe(false);
  });

  it('needs a project', async () => {
    const ctx = createPluginContext({ configDir: projectDir, env: { AO_HOME: join(projectDir, 'h') }, logger });
    expect(() => plugin.create({}, ctx)).toThrow(/needs a project/);
  });

  it('resolves a configured dir relative to the project path', async () => {
    const ctx = createPluginContext({
      configDir: '/elsewhere',
      env: { AO_HOME: join(projectDir, 'h') },
      logger,
      project: { name: 'shop', path: projectDir, defaultBranch: 'main' },
    });
    const custom = (await plugin.create({ dir: 'docs/issues' }, ctx)) as LocalTracker;
    const issue = await custom.createIssue({ title: 'Elsewhere' });
    expect(custom.dir).toBe(join(projectDir, 'docs', 'issues'));
    expect(await readdir(join(projectDir, 'docs', 'issues'))).toEqual([`${issue.id}-elsewhere.md`]);
  });
});

describe('create, get and list', () => {
  it('creates numbered markdown files with front matter and reads them back', async () => {
    const first = await tracker.createIssue({ title: 'Fix: login redirect!', body: 'Steps:\n\n1. log in', labels: ['bug'] });
    const second = await tracker.createIssue({ title: 'Add dark mode' });
    expect(first.id).toBe('1');
    expect(second.id).toBe('2');

    expect((await readdir(issuesDir)).sort()).toEqual(['1-fix-login-redirect.md', '2-add-dark-mode.md']);
    const text = await readFile(join(issuesDir, '1-fix-login-redirect.md'), 'utf8');
    expect(text).toMatch(/^---\nid: "1"\ntitle: "Fix: login redirect!"\nstate: open\nlabels: \[ bug \]\n/);
    expect(text).toContain('\n---\n\nSteps:\n\n1. log in\n');

    const got = await tracker.getIssue('1');
    expect(got).toMatchObject({ id: '1', title: 'Fix: login redirect!', body: 'Steps:\n\n1. log in', labels: ['bug'], assignees: [], state: 'open' });
    expect(await tracker.getIssue('#2')).toMatchObject({ id: '2', title: 'Add dark mode', body: '' });
  });

  it('throws ISSUE_NOT_FOUND that says how to see issues', async () => {
    await tracker.createIssue({ title: 'Only one' });
    const missing = await rejection(tracker.getIssue('3'));
    expect(missing.code).toBe('ISSUE_NOT_FOUND');
    expect(missing.message).toContain('#3');
    expect(missing.message).toContain('ao issue ls');
    const malformed = await rejection(tracker.getIssue('PROJ-7'));
    expect(malformed.code).toBe('ISSUE_NOT_FOUND');
    expect(malformed.message).toContain('numbers');
  });

  it('lists nothing when the issues directory does not exist yet', async () => {
    expect(await tracker.listIssues()).toEqual([]);
  });

  it('filters by state (default open), labels (all must match), assignee and limit', async () => {
    await tracker.createIssue({ title: 'A', labels: ['bug', 'ui'] });
    await tracker.createIssue({ title: 'B', labels: ['bug'] });
    await tracker.createIssue({ title: 'C', labels: ['UI'] });
    await tracker.createIssue({ title: 'D', labels: ['bug', 'ui'] });
    await tracker.close('4');
    // Assignees are set by hand in the file; the tracker reads them.
    const bPath = join(issuesDir, '2-b.md');
    await writeFile(bPath, (await readFile(bPath, 'utf8')).replace('assignees: []', 'assignees: [ana, bo]'));

    const ids = (issues: Array<{ id: string }>): string[] => issues.map((i) => i.id);
    expect(ids(await tracker.listIssues())).toEqual(['1', '2', '3']);
    expect(ids(await tracker.listIssues({ state: 'closed' }))).toEqual(['4']);
    expect(ids(await tracker.listIssues({ state: 'all' }))).toEqual(['1', '2', '3', '4']);
    expect(ids(await tracker.listIssues({ labels: ['bug', 'ui'] }))).toEqual(['1']);
    expect(ids(await tracker.listIssues({ labels: ['ui'], state: 'all' }))).toEqual(['1', '3', '4']);
    expect(ids(await tracker.listIssues({ assignee: 'bo' }))).toEqual(['2']);
    expect(ids(await tracker.listIssues({ limit: 2 }))).toEqual(['1', '2']);
    await expect(tracker.listIssues({ limit: -1 })).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('sorts ids numerically, not as text', async () => {
    for (let i = 0; i < 11; i++) await tracker.createIssue({ title: `Issue ${i + 1}` });
    const ids = (await tracker.listIssues()).map((i) => i.id);
    expect(ids).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
    expect((await tracker.createIssue({ title: 'Next' })).id).toBe('12');
  });

  it('rejects an empty title', async () => {
    await expect(tracker.createIssue({ title: '   ' })).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('comment and close', () => {
  it('appends a dated comment section to the body', async () => {
    await tracker.createIssue({ title: 'Flaky test', body: 'It fails sometimes.' });
    await tracker.comment('1', 'Opened a PR: 1-flaky-test\n');
    await tracker.comment('#1', 'CI is green.');
    const issue = await tracker.getIssue('1');
    expect(issue.body).toMatch(
      /^It fails sometimes\.\n\n## Comment \(\d{4}-\d\d-\d\dT[\d:.]+Z\)\n\nOpened a PR: 1-flaky-test\n\n## Comment \([^)]+\)\n\nCI is green\.$/,
    );
    await expect(tracker.comment('9', 'x')).rejects.toMatchObject({ code: 'ISSUE_NOT_FOUND' });
  });

  it('closes an issue, and closing it again is not an error and does not rewrite it', async () => {
    await tracker.createIssue({ title: 'Done soon' });
    await tracker.close('1');
    expect((await tracker.getIssue('1')).state).toBe('closed');
    const path = join(issuesDir, '1-done-soon.md');
    const afterFirstClose = await readFile(path, 'utf8');
    await tracker.close('#1');
    expect(await readFile(path, 'utf8')).toBe(afterFirstClose);
    await expect(tracker.close('5')).rejects.toMatchObject({ code: 'ISSUE_NOT_FOUND' });
  });

  it('keeps hand-written comments and extra keys in the front matter when rewriting', async () => {
    await mkdir(issuesDir, { recursive: true });
    const path = join(issuesDir, '7-hand-written.md');
    await writeFile(path, '---\n# written by hand\nid: 7\ntitle: Hand written\npriority: high\nlabels: bug\n---\nBody here.\n');
    expect(await tracker.getIssue('7')).toMatchObject({ id: '7', labels: ['bug'], state: 'open', body: 'Body here.' });
    await tracker.close('7');
    const text = await readFile(path, 'utf8');
    expect(text).toContain('# written by hand');
    expect(text).toContain('priority: high');
    expect(text).toContain('state: closed');
    expect(text).toMatch(/updated: \d{4}-/);
    expect(text.endsWith('---\n\nBody here.\n')).toBe(true);
  });

  it('does not lose a change when comments and a close race on one issue', async () => {
    await tracker.createIssue({ title: 'Busy' });
    await Promise.all([
      tracker.comment('1', 'one'),
      tracker.comment('1', 'two'),
      tracker.close('1'),
      tracker.comment('1', 'three'),
    ]);
    const issue = await tracker.getIssue('1');
    expect(issue.state).toBe('closed');
    for (const word of ['one', 'two', 'three']) expect(issue.body).toContain(`\n\n${word}`);
    expect((await readdir(issuesDir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('broken files', () => {
  it('names the file and the problem, and listIssues reports and skips it', async () => {
    await tracker.createIssue({ title: 'Good one' });
    const badYaml = join(issuesDir, '2-bad-yaml.md');
    await writeFile(badYaml, '---\nid: "2"\ntitle: [unclosed\n---\nbody\n');
    const badState = join(issuesDir, '3-bad-state.md');
    await writeFile(badState, '---\nid: "3"\ntitle: Bad state\nstate: done\n---\n');
    const noFrontMatter = join(issuesDir, '4-plain.md');
    await writeFile(noFrontMatter, '# Just markdown\n');
    const mismatch = join(issuesDir, '5-mismatch.md');
    await writeFile(mismatch, '---\nid: "6"\ntitle: Wrong id\n---\n');
    await tracker.createIssue({ title: 'Also good' });

    const yamlError = await rejection(tracker.getIssue('2'));
    expect(yamlError.code).toBe('ISSUE_CORRUPT');
    expect(yamlError.message).toContain(badYaml);
    expect(yamlError.message).toMatch(/YAML syntax error/);

    const stateError = await rejection(tracker.getIssue('3'));
    expect(stateError.message).toContain(badState);
    expect(stateError.message).toContain('field "state"');

    expect((await rejection(tracker.getIssue('4'))).message).toContain('does not start with front matter');
    expect((await rejection(tracker.getIssue('5'))).message).toContain('front matter says id 6');

    const listed = await tracker.listIssues({ state: 'all' });
    expect(listed.map((i) => i.title)).toEqual(['Good one', 'Also good']);
    expect(listed.map((i) => i.id)).toEqual(['1', '6']);
    expect(logger.warnings.map((w) => w.path).sort()).toEqual([badYaml, badState, noFrontMatter, mismatch].sort());
    for (const w of logger.warnings) expect(String(w.problem)).toContain(String(w.path));

    const scan = await (tracker as LocalTracker).scan();
    expect(scan.problems).toHaveLength(4);
    expect(scan.issues).toHaveLength(2);
  });

  it('reports two files with the same id (e.g. after a merge) instead of guessing', async () => {
    await mkdir(issuesDir, { recursive: true });
    await writeFile(join(issuesDir, '3-from-main.md'), '---\nid: "3"\ntitle: From main\n---\n');
    await writeFile(join(issuesDir, '3-from-branch.md'), '---\nid: "3"\ntitle: From branch\n---\n');
    const error = await rejection(tracker.getIssue('3'));
    expect(error.code).toBe('ISSUE_CORRUPT');
    expect(error.message).toContain('3-from-main.md');
    expect(error.message).toContain('3-from-branch.md');
    expect((await tracker.listIssues()).map((i) => i.title)).toEqual(['From branch']);
    expect(logger.warnings).toHaveLength(1);
    expect((await tracker.createIssue({ title: 'Four' })).id).toBe('4');
  });
});

describe('createLocalTracker', () => {
  it('creates distinct ids for concurrent creates in one process', async () => {
    const local = createLocalTracker({ dir: issuesDir, clock: systemClock, logger });
    const created = await Promise.all(Array.from({ length: 10 }, (_, i) => local.createIssue({ title: `Parallel ${i}` })));
    expect(new Set(created.map((c) => c.id)).size).toBe(10);
    expect(created.map((c) => Number(c.id)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await readdir(issuesDir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('issue locks are ao’s one file lock', () => {
  /** A pid that is certainly not running: a child that has exited and been reaped. */
  const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid as number;

  it('takes over the lock of a holder that died, at once', async () => {
    const issue = await tracker.createIssue({ title: 'Locked by a crash' });
    await writeFile(join(issuesDir, `.lock-${issue.id}`), JSON.stringify({ pid: deadPid(), ts: Date.now() }));
    await tracker.comment(issue.id, 'after the crash');
    expect((await tracker.getIssue(issue.id)).body).toContain('after the crash');
  });

  it('never takes over the lock of a live holder, however old, and names the file', async () => {
    const issue = await tracker.createIssue({ title: 'Held for long' });
    const lock = join(issuesDir, `.lock-${issue.id}`);
    const record = JSON.stringify({ pid: process.pid, start: processStartTime(process.pid), ts: Date.now() - 3_600_000 });
    await writeFile(lock, record);
    await utimes(lock, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    const error = await rejection(withIssueLock(issuesDir, Number(issue.id), async () => 'entered', { timeoutMs: 200 }));
    expect(error.code).toBe('LOCK_TIMEOUT');
    expect(error.message).toContain(lock);
    expect(await readFile(lock, 'utf8')).toBe(record);
  });
});
