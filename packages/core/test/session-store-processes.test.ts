import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSessionStore, resolvePaths, type AoPaths, type Session } from '../src/index.js';
import { withFileLock } from '../src/sessions/lock.js';

// Real processes race each other here. They import the store bundled by tsup into a temp dir
// from the TypeScript sources (not `pnpm build` into dist), so the test neither depends on nor
// disturbs the rest of core being buildable at this moment.
const coreDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const worker = join(coreDir, 'test', 'fixtures', 'session-store-worker.mjs');
let bundleDir: string;
let storeModule: string;

beforeAll(async () => {
  bundleDir = await mkdtemp(join(tmpdir(), 'ao-store-bundle-'));
  const entry = join(bundleDir, 'entry.ts');
  const src = join(coreDir, 'src');
  await writeFile(
    entry,
    `export * from ${JSON.stringify(join(src, 'sessions', 'store.ts'))};\n` +
      `export { resolvePaths } from ${JSON.stringify(join(src, 'paths.ts'))};\n` +
      `export { withFileLock } from ${JSON.stringify(join(src, 'sessions', 'lock.ts'))};\n`,
  );
  // tsup's API (a root dev dependency) rather than an esbuild binary path, which pnpm may not hoist.
  await build({
    entry: { store: entry },
    format: ['esm'],
    outDir: bundleDir,
    outExtension: () => ({ js: '.mjs' }),
    platform: 'node',
    target: 'node20',
    noExternal: [/.*/],
    splitting: false,
    silent: true,
    config: false,
  });
  storeModule = join(bundleDir, 'store.mjs');
}, 60_000);

afterAll(async () => {
  await rm(bundleDir, { recursive: true, force: true });
});

let home: string;
let paths: AoPaths;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'ao-store-procs-'));
  paths = resolvePaths({ AO_HOME: home });
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/**
 * Starts one worker per argv, waits until every one has loaded the store and says "ready", then
 * releases them all at once through a go-file, and returns each worker's final JSON line.
 */
async function race(argvs: string[][]): Promise<unknown[]> {
  const goFile = join(home, `go-${Math.random().toString(36).slice(2)}`);
  const children = argvs.map((argv) => {
    const child = spawn(process.execPath, [worker, storeModule, home, goFile, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let onReady!: () => void;
    const ready = new Promise<void>((resolve) => (onReady = resolve));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.startsWith('ready\n')) onReady();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<unknown>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        onReady();
        if (code !== 0) reject(new Error(`worker ${argv.join(' ')} exited ${code}: ${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null'));
      });
    });
    return { ready, exited };
  });
  await Promise.all(children.map((child) => child.ready));
  await writeFile(goFile, '');
  return Promise.all(children.map((child) => child.exited));
}

function session(id: string): Session {
  const now = new Date().toISOString();
  return {
    id,
    project: 'app',
    issue: null,
    title: null,
    branch: `ao/${id}`,
    baseBranch: 'main',
    workspacePath: `/tmp/${id}`,
    agent: 'codex',
    runtimeName: 'tmux',
    workspaceName: 'worktree',
    runtime: null,
    status: 'working',
    activity: null,
    activityDetail: null,
    nativeSessionId: null,
    pr: null,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    lastEvent: null,
    spawnMs: null,
  };
}

describe('session store across processes', () => {
  it('gives 20 processes reserving at once 20 distinct ids', async () => {
    const store = createSessionStore(paths);
    // An archived id below the others must also stay taken.
    await store.create('app', session(await store.reserveId('app', 'app')));
    await store.archive('app', 'app-1');

    const results = (await race(Array.from({ length: 20 }, () => ['reserve', 'app', 'app']))) as { id: string }[];
    const ids = results.map((result) => result.id);
    expect(new Set(ids).size).toBe(20);
    expect(ids.map((id) => Number(id.slice('app-'.length))).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 2),
    );
  });

  it('never lets two processes hold one file lock, while holders exit the moment they release it', async () => {
    // Every waiter that reads the lock of a holder which then exits judges it abandoned and breaks
    // it; half the holders die holding it, so many waiters break one lock at once. Breaking must
    // never remove the lock a live process took in the meantime.
    const lockPath = join(home, 'race.lock');
    const marker = join(home, 'inside');
    for (let round = 0; round < 3; round++) {
      await race(Array.from({ length: 24 }, (_, i) => ['lock', lockPath, marker, i % 2 ? 'crash' : 'release']));
    }
    // The last holder may have died holding it: one more taker breaks that, and leaves nothing behind.
    await withFileLock(lockPath, async () => {}, {});
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(home)).filter((name) => name.startsWith('race.lock') || name === 'inside')).toEqual([]);
  }, 120_000);

  it('loses no event when several processes append to one session at once', async () => {
    const store = createSessionStore(paths);
    await store.create('app', session('app-1'));
    const workers = 6;
    const each = 15;
    await race(Array.from({ length: workers }, (_, w) => ['append', 'app', 'app-1', `w${w}`, String(each)]));

    const { events, problems } = await store.readLog('app', 'app-1');
    expect(problems).toEqual([]);
    const ticks = events.filter((event) => event.type === 'test.tick');
    expect(ticks).toHaveLength(workers * each);
    expect(new Set(ticks.map((event) => event.key)).size).toBe(workers * each);
    // Each worker's own events stay in its order, and the snapshot is the fold of the last one.
    for (let w = 0; w < workers; w++) {
      const mine = ticks.filter((event) => event.key?.startsWith(`w${w}-`)).map((event) => event.data?.i);
      expect(mine).toEqual(Array.from({ length: each }, (_, i) => i));
    }
    // Keys shared by all workers are logged once: the key check and the append are one step.
    expect(events.filter((event) => event.type === 'test.shared').map((event) => event.key)).toEqual(
      Array.from({ length: each }, (_, i) => `shared-${i}`),
    );
    const last = ticks.at(-1)!;
    const snapshot = await store.get('app', 'app-1');
    expect(snapshot.activityDetail).toBe(last.key);
    // No read-modify-write under `withLock` was lost.
    expect(snapshot.spawnMs).toBe(workers * each);
    const lastEvent = events.at(-1)!;
    expect(snapshot.lastEvent).toEqual({ type: lastEvent.type, ts: lastEvent.ts });
  });
});
