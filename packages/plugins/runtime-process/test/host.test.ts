import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAoError, resolvePaths, silentLogger } from '@ao/core/plugin';
import { ensureFakeAgentBuilt, fakeAgentArgv } from '@ao/testkit/fake-agent';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPtyHost, ptyDir, ptyIdFor, type PtyHost, type PtyRecord } from '../src/index.js';
import { createTestHome, pidAlive, WAIT } from './helpers.js';

const hosts: PtyHost[] = [];
const roots: string[] = [];
/** Every pid a test started; all must be gone once the test cleaned up. */
const pids: number[] = [];

async function setup() {
  const home = await createTestHome();
  roots.push(home.root);
  const newHost = (): PtyHost => {
    const host = createPtyHost({ paths: home.paths, logger: silentLogger, stopGraceMs: 1000 });
    hosts.push(host);
    return host;
  };
  return { ...home, newHost };
}

const sh = (script: string): string[] => ['/bin/sh', '-c', script];
const screenOf = (host: PtyHost, id: string, text: string) =>
  vi.waitFor(async () => {
    const screen = await host.screen(id, 100);
    if (!screen.includes(text)) throw new Error(`waiting for "${text}" on the screen of ${id}; it shows:\n${screen}`);
    return screen;
  }, WAIT);

beforeAll(async () => {
  await ensureFakeAgentBuilt();
}, 120_000);

afterEach(async () => {
  for (const host of hosts.splice(0)) await host.shutdown();
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
  const survivors = pids.splice(0).filter(pidAlive);
  expect(survivors, 'processes that outlived the test').toEqual([]);
});

describe('pty host', () => {
  it('renders \\r progress lines and colours of a real program as plain text', async () => {
    const { newHost, cwd } = await setup();
    const host = newHost();
    const script = "printf '\\033[1;32mbuilding\\033[0m\\n'; for p in 10 50 100; do printf '\\rprogress %s%%' $p; done; printf '\\n\\033[31mdone\\033[0m\\n'; sleep 1000";
    const { id, pid } = await host.start({ sessionId: 'render', cwd, argv: sh(script) });
    pids.push(pid);
    const screen = await screenOf(host, id, 'done');
    expect(screen).toBe('building\nprogress 100%\ndone');
  });

  it('stop ends the whole process group, escalating to SIGKILL for a program that ignores SIGTERM', async () => {
    const { newHost, cwd, paths } = await setup();
    const host = newHost();
    const { id, pid } = await host.start({
      sessionId: 'group',
      cwd,
      argv: sh('trap "" TERM; sleep 1000 & echo "child=$!"; while :; do sleep 1; done'),
    });
    pids.push(pid);
    const child = Number(/child=(\d+)/.exec(await screenOf(host, id, 'child='))?.[1]);
    pids.push(child);
    expect(pidAlive(child)).toBe(true);
    await host.stop(id);
    expect(pidAlive(pid)).toBe(false);
    expect(pidAlive(child)).toBe(false);
    expect(host.alive(id)).toBe(false);
    expect(host.list().map((p) => p.id)).not.toContain(id);
    expect(existsSync(join(ptyDir(paths), `${id}.json`))).toBe(false);
    await host.stop(id); // idempotent
  });

  it('keeps the last screen of a program that exited until it is stopped', async () => {
    const { newHost, cwd } = await setup();
    const host = newHost();
    const { id, pid } = await host.start({ sessionId: 'exits', cwd, argv: sh('echo "last words"; exit 3') });
    pids.push(pid);
    await vi.waitFor(() => {
      if (host.alive(id)) throw new Error('waiting for the exit');
    }, WAIT);
    expect(host.info(id)).toMatchObject({ alive: false, exitCode: 3 });
    expect(await host.screen(id)).toContain('last words');
    await expect(host.sendText(id, 'hello')).rejects.toThrow(/not running/);
    await host.stop(id);
    await expect(host.screen(id)).rejects.toThrow(/no pty/);
  });

  it('refuses a second start of a running session and replaces an exited one', async () => {
    const { newHost, cwd } = await setup();
    const host = newHost();
    const first = await host.start({ sessionId: 'twice', cwd, argv: sh('echo one; sleep 1000') });
    pids.push(first.pid);
    const error = await host.start({ sessionId: 'twice', cwd, argv: sh('echo two') }).catch((e: unknown) => e);
    expect(isAoError(error) && error.code).toBe('RUNTIME_STATE');
    expect(String((error as Error).message)).toMatch(/already running/);
    await host.stop(first.id);
    const exited = await host.start({ sessionId: 'twice', cwd, argv: sh('echo two') });
    pids.push(exited.pid);
    await vi.waitFor(() => {
      if (host.alive(exited.id)) throw new Error('waiting for the exit');
    }, WAIT);
    const again = await host.start({ sessionId: 'twice', cwd, argv: sh('echo three; sleep 1000') });
    pids.push(again.pid);
    expect(again.id).toBe(first.id);
    await screenOf(host, again.id, 'three');
  });

  it('derives safe, distinct ids from session ids', () => {
    expect(ptyIdFor('app-12')).toBe('app-12');
    expect(ptyIdFor('a/b')).toMatch(/^a_b-[0-9a-f]{6}$/);
    expect(ptyIdFor('a/b')).not.toBe(ptyIdFor('a_b'));
    expect(ptyIdFor('../x')).not.toContain('/');
  });

  it('reports a missing program and a missing cwd clearly', async () => {
    const { newHost, cwd } = await setup();
    const host = newHost();
    await expect(host.start({ sessionId: 'missing', cwd, argv: ['ao-no-such-program-xyz'] })).rejects.toThrow(/not found or not executable/);
    await expect(host.start({ sessionId: 'nocwd', cwd: join(cwd, 'nope'), argv: sh('true') })).rejects.toThrow(/does not exist/);
  });

  it('resize reaches the program', async () => {
    const { newHost, cwd } = await setup();
    const host = newHost();
    const { id, pid } = await host.start({ sessionId: 'size', cwd, argv: sh('stty size; read x; stty size; sleep 1000'), cols: 80, rows: 24 });
    pids.push(pid);
    await screenOf(host, id, '24 80');
    host.resize(id, 100, 30);
    host.write(id, '\r');
    await screenOf(host, id, '30 100');
  });

  it('a narrower terminal (a web viewer attached) keeps long lines whole in the capture', async () => {
    const { newHost, cwd } = await setup();
    const host = newHost();
    const line = 'a line that is longer than the narrow viewer';
    const { id, pid } = await host.start({ sessionId: 'narrow', cwd, argv: sh(`echo '${line}'; echo shown; sleep 1000`), cols: 80, rows: 24 });
    pids.push(pid);
    await screenOf(host, id, 'shown');
    host.resize(id, 20, 24);
    expect((await host.screen(id)).split('\n')).toContain(line);
  });

  it('without bracketed paste, multi-line text is typed line by line (the documented fallback)', async () => {
    const { newHost, cwd } = await setup();
    const host = newHost();
    const { id, pid } = await host.start({ sessionId: 'plain', cwd, argv: sh('while read -r l; do echo "got:$l"; done') });
    pids.push(pid);
    expect(host.info(id)?.bracketedPaste).toBe(false);
    await host.sendText(id, 'first\nsecond');
    const screen = await screenOf(host, id, 'got:second');
    expect(screen).toContain('got:first');
  });

  it('with submitDelayMs, the Enter follows the text only after that pause (on the host clock)', async () => {
    const { home, root } = await createTestHome();
    roots.push(root);
    // A clock whose sleeps end when the test says so: the pause is seen to hold the Enter back.
    const sleeps: Array<{ ms: number; end: () => void }> = [];
    const clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((end) => sleeps.push({ ms, end })) };
    const host = createPtyHost({ paths: resolvePaths({ AO_HOME: home }), logger: silentLogger, stopGraceMs: 1000, clock });
    hosts.push(host);
    const { id, pid } = await host.start({ sessionId: 'delayed', cwd: root, argv: sh('while read -r l; do echo "got:$l"; done') });
    pids.push(pid);
    const sent = host.sendText(id, 'hello', { submitDelayMs: 250 });
    await vi.waitFor(() => expect(sleeps.map((s) => s.ms)).toEqual([250]), WAIT);
    // The text is typed (the terminal echoes it), not yet submitted.
    const typed = await screenOf(host, id, 'hello');
    expect(typed).not.toContain('got:hello');
    sleeps[0]?.end();
    await sent;
    await screenOf(host, id, 'got:hello');
  });

  it('shutdown ends every program but keeps records and last screens for the next daemon', async () => {
    const { newHost, cwd, paths } = await setup();
    const host = newHost();
    const a = await host.start({ sessionId: 'keep-a', cwd, argv: fakeAgentArgv(['--name', 'keep-a']) });
    const b = await host.start({ sessionId: 'keep-b', cwd, argv: sh('echo b-is-here; sleep 1000') });
    pids.push(a.pid, b.pid);
    await screenOf(host, a.id, 'ready');
    await screenOf(host, b.id, 'b-is-here');
    await host.shutdown();
    expect(pidAlive(a.pid)).toBe(false);
    expect(pidAlive(b.pid)).toBe(false);
    await expect(host.start({ sessionId: 'late', cwd, argv: sh('true') })).rejects.toThrow(/shutting down/);

    const next = newHost();
    expect(next.list().map((p) => [p.id, p.alive]).sort()).toEqual([
      [a.id, false],
      [b.id, false],
    ]);
    expect(await next.screen(b.id)).toContain('b-is-here');
    const restored = await next.start({ sessionId: 'keep-b', cwd, argv: sh('echo restored; sleep 1000') });
    pids.push(restored.pid);
    expect(restored.id).toBe(b.id);
    await screenOf(next, b.id, 'restored');
    expect(readRecord(paths.home, b.id).pid).toBe(restored.pid);
  });

  it('a new host after a crashed one reports its ptys not alive, ends orphans, and restarts the session', async () => {
    const { newHost, cwd, paths } = await setup();
    const crashed = newHost();
    // Ignores SIGHUP, so it would outlive its terminal: exactly the orphan a new daemon must end.
    const orphan = await crashed.start({ sessionId: 'orphan', cwd, argv: sh('trap "" HUP; echo up; exec sleep 1000') });
    const agent = await crashed.start({ sessionId: 'agent', cwd, argv: fakeAgentArgv(['--name', 'agent']) });
    pids.push(orphan.pid, agent.pid);
    await screenOf(crashed, orphan.id, 'up');
    await screenOf(crashed, agent.id, 'ready');

    const next = newHost(); // the crashed host is never shut down
    expect(next.alive(orphan.id)).toBe(false);
    expect(next.alive(agent.id)).toBe(false);
    expect(next.info(agent.id)).toMatchObject({ alive: false, pid: agent.pid });
    await vi.waitFor(() => {
      if (pidAlive(orphan.pid) || pidAlive(agent.pid)) throw new Error('waiting for the orphans to be ended');
    }, WAIT);

    const restored = await next.start({ sessionId: 'agent', cwd, argv: fakeAgentArgv(['--name', 'agent']) });
    pids.push(restored.pid);
    expect(restored.id).toBe(agent.id);
    await screenOf(next, agent.id, 'ready');
    expect(next.alive(agent.id)).toBe(true);
    // The crashed host noticing its program's death must not overwrite the new record.
    await vi.waitFor(() => {
      if (crashed.alive(agent.id)) throw new Error('waiting for the old host to see the exit');
    }, WAIT);
    await crashed.shutdown();
    expect(readRecord(paths.home, agent.id).pid).toBe(restored.pid);
  });
});

function readRecord(home: string, id: string): PtyRecord {
  return JSON.parse(readFileSync(join(home, 'pty', `${id}.json`), 'utf8')) as PtyRecord;
}

