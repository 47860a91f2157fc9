import { spawnSync } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyEvents, createSessionStore, isAoError, processStartTime, resolvePaths, type AoPaths, type Session, type SessionEvent } from '../src/index.js';

let home: string;
let paths: AoPaths;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'ao-store-'));
  paths = resolvePaths({ AO_HOME: home });
});

afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

function session(id: string, project = 'app', overrides: Partial<Session> = {}): Session {
  const now = new Date().toISOString();
  return {
    id,
    project,
    issue: '42',
    title: 'Fix the thing',
    branch: `ao/${id}`,
    baseBranch: 'main',
    workspacePath: `/tmp/ws/${id}`,
    agent: 'claude-code',
    runtimeName: 'tmux',
    workspaceName: 'worktree',
    runtime: null,
    status: 'spawning',
    activity: null,
    activityDetail: null,
    nativeSessionId: null,
    pr: null,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    lastEvent: null,
    spawnMs: null,
    ...overrides,
  };
}

async function caught(promise: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    if (isAoError(error)) return { code: error.code, message: error.message, details: error.details };
    throw error;
  }
  throw new Error('expected a rejection');
}

/** A pid that certainly belonged to a process which has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('session store', () => {
  it('creates, reads, appends and folds events into the snapshot', async () => {
    const store = createSessionStore(paths);
    const id = await store.reserveId('app', 'app');
    expect(id).toBe('app-1');
    const created = await store.create('app', session(id));
    expect(created.lastEvent?.type).toBe('session.created');
    expect(await store.get('app', id)).toEqual(created);

    const next = await store.append('app', id, [
      { type: 'runtime.started', set: { status: 'working', runtime: { runtime: 'tmux', id: 'ao-app-1' } } },
      { type: 'activity', set: { activity: 'active' }, data: { source: 'hook' } },
    ]);
    expect(next.status).toBe('working');
    expect(next.activity).toBe('active');
    expect(next.runtime).toEqual({ runtime: 'tmux', id: 'ao-app-1' });
    expect(next.lastEvent?.type).toBe('activity');
    expect(next.updatedAt).toBe(next.lastEvent?.ts);

    const updated = await store.update('app', id, 'pr.opened', { status: 'pr_open', pr: { id: '7', state: 'open' } });
    expect(updated.pr).toEqual({ id: '7', state: 'open' });

    // A fresh store (another process, say) sees the same state, and the log replays to it.
    const other = createSessionStore(resolvePaths({ AO_HOME: home }));
    expect(await other.get('app', id)).toEqual(updated);
    const events = await other.events('app', id);
    expect(events.map((event) => event.type)).toEqual(['session.created', 'runtime.started', 'activity', 'pr.opened']);
    expect(events[2]?.data).toEqual({ source: 'hook' });
    expect(applyEvents(created, events.slice(1))).toEqual(updated);
  });

  it('skips events whose key is already in the log', async () => {
    const store = createSessionStore(paths);
    await store.create('app', session('app-1'));
    const first = await store.appendWithResult('app', 'app-1', [
      { type: 'reaction.ci-failed', key: 'ci-failed:run-9', set: { status: 'ci_failed' } },
      { type: 'reaction.ci-failed', key: 'ci-failed:run-9', set: { status: 'ci_failed' } },
    ]);
    expect(first.appended).toHaveLength(1);
    const again = await store.appendWithResult('app', 'app-1', [
      { type: 'reaction.ci-failed', key: 'ci-failed:run-9', set: { status: 'ci_failed' } },
      { type: 'note', key: 'other' },
    ]);
    expect(again.appended.map((event) => event.key)).toEqual(['other']);
    const keys = (await store.events('app', 'app-1')).map((event) => event.key).filter(Boolean);
    expect(keys).toEqual(['ci-failed:run-9', 'other']);
  });

  it('refuses an event that would make the session invalid and writes nothing', async () => {
    const store = createSessionStore(paths);
    await store.create('app', session('app-1'));
    const bad = [{ type: 'oops', set: { status: 'sleeping' } }] as unknown as Parameters<typeof store.append>[2];
    const error = await caught(store.append('app', 'app-1', bad));
    expect(error.code).toBe('SESSION_STATE');
    expect(error.message).toContain('status');
    expect(await store.events('app', 'app-1')).toHaveLength(1);
    expect((await caught(store.update('app', 'app-1', 'move', { project: 'elsewhere' }))).code).toBe('SESSION_STATE');
  });

  it('reports a missing session with a pointer to `ao session ls`', async () => {
    const store = createSessionStore(paths);
    const error = await caught(store.get('app', 'app-9'));
    expect(error.code).toBe('SESSION_NOT_FOUND');
    expect(error.message).toContain('ao session ls');
    expect((await caught(store.find('app-9'))).code).toBe('SESSION_NOT_FOUND');
    expect((await caught(store.get('app', '../etc'))).code).toBe('USAGE');
  });

  it('lists the good sessions and reports each corrupt snapshot by path and reason', async () => {
    const store = createSessionStore(paths);
    await store.create('app', session('app-1'));
    await store.create('app', session('app-2'));
    await store.create('web', session('web-1', 'web'));
    const dir = paths.sessions('app');
    await writeFile(join(dir, 'app-3.json'), '{"id": "app-3", "project": ');
    await writeFile(join(dir, 'app-4.json'), JSON.stringify({ id: 'app-4', status: 'sleeping' }));

    const all = await store.list();
    expect(all.sessions.map((s) => s.id).sort()).toEqual(['app-1', 'app-2', 'web-1']);
    expect(all.problems).toHaveLength(2);
    const byPath = Object.fromEntries(all.problems.map((problem) => [problem.path, problem.reason]));
    expect(byPath[join(dir, 'app-3.json')]).toMatch(/invalid JSON/);
    expect(byPath[join(dir, 'app-4.json')]).toMatch(/not a session/);

    const one = await store.list('web');
    expect(one).toEqual({ sessions: [expect.objectContaining({ id: 'web-1' })], problems: [] });
    expect(await store.list('nothing-here')).toEqual({ sessions: [], problems: [] });
  });

  it('rebuilds a corrupt or missing snapshot from an intact event log', async () => {
    const store = createSessionStore(paths);
    await store.create('app', session('app-1'));
    const expected = await store.update('app', 'app-1', 'working', { status: 'working', activity: 'idle' });
    const { snapshot } = store.files('app', 'app-1');

    await writeFile(snapshot, '{ torn');
    expect(await store.get('app', 'app-1')).toEqual(expected);
    expect(JSON.parse(await readFile(snapshot, 'utf8'))).toEqual(expected); // rewritten

    const { log } = store.files('app', 'app-1');
    await rm(snapshot);
    expect(await store.list('app')).toEqual({ sessions: [expected], problems: [], rebuilt: [{ path: snapshot, log, reason: 'missing' }] });
    expect(JSON.parse(await readFile(snapshot, 'utf8'))).toEqual(expected);

    // `list` rebuilds a garbage snapshot too (it used to skip it), and says which, by path.
    await writeFile(snapshot, '\u0000garbage');
    const listed = await store.list('app');
    expect(listed.sessions).toEqual([expected]);
    expect(listed.problems).toEqual([]);
    expect(listed.rebuilt).toEqual([{ path: snapshot, log, reason: expect.stringMatching(/^invalid JSON/) }]);
    expect(JSON.parse(await readFile(snapshot, 'utf8'))).toEqual(expected);
    expect(await store.list('app')).toEqual({ sessions: [expected], problems: [] });
  });

  it('names the file when a corrupt snapshot has no log to rebuild from', async () => {
    const store = createSessionStore(paths);
    await store.create('app', session('app-1'));
    const { snapshot, log } = store.files('app', 'app-1');
    await writeFile(snapshot, 'not json');
    await rm(log);
    const error = await caught(store.get('app', 'app-1'));
    expect(error.code).toBe('SESSION_CORRUPT');
    expect(error.message).toContain(snapshot);
    expect(error.message).toMatch(/invalid JSON/);
  });

  it('skips and reports a corrupt log line, keeping every other event', async () => {
    const store = createSessionStore(paths);
    await store.create('app', session('app-1'));
    const { log } = store.files('app', 'app-1');
    // A torn write with no trailing newline: the next append must not glue onto it.
    await appendFile(log, '{"ts":"2025-01-01T00:00:00.000Z","type":"half');
    await store.update('app', 'app-1', 'working', { status: 'working' });
    await appendFile(log, '{"type": 5}\n');
    await store.update('app', 'app-1', 'idle', { activity: 'idle' });

    const { events, problems } = await store.readLog('app', 'app-1');
    expect(events.map((event) => event.type)).toEqual(['session.created', 'working', 'idle']);
    expect(problems).toEqual([
      { path: log, line: 2, reason: expect.stringMatching(/^line 2: invalid JSON/) },
      { path: log, line: 4, reason: expect.stringMatching(/^line 4: not a session event/) },
    ]);
    expect(await store.events('app', 'app-1')).toEqual(events);
    const now = await store.get('app', 'app-1');
    expect([now.status, now.activity]).toEqual(['working', 'idle']);
  });

  it('catches up a snapshot left behind its log by a crash', async () => {
    const store = createSessionStore(paths);
    await store.create('app', session('app-1'));
    const { log } = store.files('app', 'app-1');
    const lost: SessionEvent = { ts: new Date().toISOString(), type: 'runtime.started', set: { status: 'working' } };
    await appendFile(log, JSON.stringify(lost) + '\n');
    const next = await store.update('app', 'app-1', 'activity', { activity: 'active' });
    expect([next.status, next.activity]).toEqual(['working', 'active']);
  });

  it('filters events by time', async () => {
    let now = Date.parse('2025-01-01T00:00:00.000Z');
    const store = createSessionStore(paths, { clock: { now: () => now, sleep: async () => {} } });
    await store.create('app', session('app-1'));
    now += 60_000;
    await store.update('app', 'app-1', 'later', { status: 'working' });
    const recent = await store.events('app', 'app-1', { since: Date.parse('2025-01-01T00:00:30.000Z') });
    expect(recent.map((event) => event.type)).toEqual(['later']);
    expect(recent[0]?.ts).toBe('2025-01-01T00:01:00.000Z');
  });

  it('finds an id across projects and refuses an ambiguous one', async () => {
    const store = createSessionStore(paths);
    await store.create('app', session('app-1'));
    await store.create('web', session('web-1', 'web'));
    expect((await store.find('web-1')).project).toBe('web');
    await store.create('web', session('app-1', 'web'));
    const error = await caught(store.find('app-1'));
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('app, web');
  });

  it('archives a session and never hands its id out again', async () => {
    const store = createSessionStore(paths);
    const first = await store.reserveId('app', 'app');
    await store.create('app', session(first));
    await store.archive('app', first);

    const dir = paths.sessions('app');
    expect((await readdir(join(dir, 'archive'))).sort()).toEqual(['app-1.events.jsonl', 'app-1.json']);
    expect((await readdir(dir)).sort()).toEqual(['archive']);
    expect((await caught(store.get('app', first))).code).toBe('SESSION_NOT_FOUND');
    expect((await store.list('app')).sessions).toEqual([]);
    const archivedLog = await readFile(join(dir, 'archive', 'app-1.events.jsonl'), 'utf8');
    expect(archivedLog).toContain('"session.archived"');

    expect(await store.reserveId('app', 'app')).toBe('app-2');
    expect((await caught(store.create('app', session('app-1')))).code).toBe('SESSION_STATE');
    expect(await store.reserveId('app', 'other')).toBe('other-1');

    // A reservation whose spawn failed before `create` is archived as is, and stays used.
    await store.archive('app', 'app-2');
    expect((await readdir(join(dir, 'archive'))).sort()).toEqual(['app-1.events.jsonl', 'app-1.json', 'app-2.events.jsonl']);
    expect(await store.reserveId('app', 'app')).toBe('app-3');
    expect((await caught(store.archive('app', 'app-9'))).code).toBe('SESSION_NOT_FOUND');
  });

  it('breaks a lock left by a dead process', async () => {
    const store = createSessionStore(paths);
    await store.create('app', session('app-1'));
    const { lock } = store.files('app', 'app-1');
    await writeFile(lock, JSON.stringify({ pid: deadPid(), ts: Date.now() }));
    const next = await store.update('app', 'app-1', 'working', { status: 'working' });
    expect(next.status).toBe('working');
    expect(await readdir(paths.sessions('app'))).not.toContain('app-1.lock');
  });

  it('never breaks the lock of a live holder, however long it has held it', async () => {
    // A holder proven alive (its pid with its start time) that took the lock an hour ago, e.g. a
    // slow git step: a waiter times out naming it rather than barging in.
    const store = createSessionStore(paths, { lockTimeoutMs: 200, lockStaleMs: 50 });
    await store.create('app', session('app-1'));
    const { lock } = store.files('app', 'app-1');
    const record = JSON.stringify({ pid: process.pid, start: processStartTime(process.pid), ts: Date.now() - 3_600_000 });
    await writeFile(lock, record);
    expect((await caught(store.update('app', 'app-1', 'working', { status: 'working' }))).code).toBe('LOCK_TIMEOUT');
    expect(await readFile(lock, 'utf8')).toBe(record);
    await rm(lock);
  });

  it('breaks a lock whose pid now belongs to another process (reused), however fresh', async () => {
    const store = createSessionStore(paths, { lockTimeoutMs: 5_000 });
    await store.create('app', session('app-1'));
    await writeFile(store.files('app', 'app-1').lock, JSON.stringify({ pid: process.pid, start: 'another-boot:12345', ts: Date.now() }));
    expect((await store.update('app', 'app-1', 'working', { status: 'working' })).status).toBe('working');
  });

  it('judges a record without a start time (an older ao) by its age', async () => {
    const store = createSessionStore(paths);
    await store.create('app', session('app-1'));
    await writeFile(store.files('app', 'app-1').lock, JSON.stringify({ pid: process.pid, ts: Date.now() - 31_000 }));
    expect((await store.update('app', 'app-1', 'working', { status: 'working' })).status).toBe('working');
  });

  it('times out on a live lock, naming the file and the holder', async () => {
    const store = createSessionStore(paths, { lockTimeoutMs: 200 });
    await store.create('app', session('app-1'));
    const { lock } = store.files('app', 'app-1');
    await writeFile(lock, JSON.stringify({ pid: process.pid, ts: Date.now() }));
    const error = await caught(store.update('app', 'app-1', 'working', { status: 'working' }));
    expect(error.code).toBe('LOCK_TIMEOUT');
    expect(error.message).toContain(lock);
    expect(error.message).toContain(String(process.pid));
    expect(await readFile(lock, 'utf8')).toContain(String(process.pid)); // left alone
    await rm(lock);
    expect((await store.update('app', 'app-1', 'working', { status: 'working' })).status).toBe('working');
  });

  it('lets a lock holder call the store, and queues same-process writers', async () => {
    const store = createSessionStore(paths);
    await store.create('app', session('app-1'));
    const result = await store.withLock('app', 'app-1', async () => {
      await store.update('app', 'app-1', 'inside', { status: 'working' });
      return 'ok';
    });
    expect(result).toBe('ok');
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => store.append('app', 'app-1', [{ type: 'tick', key: `t${i}`, set: { activityDetail: `t${i}` } }])),
    );
    const events = await store.events('app', 'app-1');
    expect(events.filter((event) => event.type === 'tick')).toHaveLength(30);
    expect((await store.get('app', 'app-1')).lastEvent).toEqual({ type: 'tick', ts: events.at(-1)?.ts });
  });

  it('follows the log until aborted', async () => {
    const store = createSessionStore(paths);
    await store.create('app', session('app-1'));
    const seen: string[] = [];
    const controller = new AbortController();
    let notify: () => void = () => {};
    const following = store.follow(
      'app',
      'app-1',
      (event) => {
        seen.push(event.type);
        notify();
      },
      controller.signal,
      { pollMs: 50 },
    );
    const waitFor = (count: number) =>
      new Promise<void>((resolve) => {
        notify = () => seen.length >= count && resolve();
        notify();
      });
    await waitFor(1);
    await store.update('app', 'app-1', 'working', { status: 'working' });
    await store.append('app', 'app-1', [{ type: 'a' }, { type: 'b' }]);
    await waitFor(4);
    controller.abort();
    await following;
    expect(seen).toEqual(['session.created', 'working', 'a', 'b']);
  });

  it('lists 500 sessions from their snapshots', async () => {
    const store = createSessionStore(paths);
    for (let i = 1; i <= 500; i++) await store.create('app', session(`app-${i}`));
    const started = performance.now();
    const { sessions, problems } = await store.list();
    const ms = performance.now() - started;
    expect(problems).toEqual([]);
    expect(sessions).toHaveLength(500);
    // Timing is reported, not asserted (benchmarks live in scripts/bench).
    console.info(`list() of 500 sessions: ${ms.toFixed(1)} ms`);
  });
});
