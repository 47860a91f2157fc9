/**
 * Hosts: keys checked against known_hosts, placement by free slots over two real sshd "hosts", one
 * ssh call per host for liveness, a host that goes down, and no secret on any command line.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { exec, isAoError, type Exec, type RuntimeHandle } from '@ao/core/plugin';
import { processArgvContaining } from '@ao/testkit/process-argv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import plugin from '../src/index.js';
import { controlDirFor } from '../src/ssh.js';
import { createSshRuntimeForTest, startSshd, type SshRuntimeUnderTest, type TestSshd } from './sshd.js';

let one: TestSshd;
let two: TestSshd;
const runtimes: SshRuntimeUnderTest[] = [];

// An agent that records its environment variable and argv, then every line typed into it.
const AGENT = `
const fs = require('node:fs');
const out = process.argv[2];
fs.writeFileSync(out + '.start.json', JSON.stringify({ env: process.env.AO_TEST_API_KEY ?? null, argv: process.argv.slice(3), cwd: process.cwd() }));
process.stdout.write('ready> ');
process.stdin.on('data', (d) => fs.appendFileSync(out + '.typed', d));
`;

let scratch = '';
let cwd = '';

async function runtimeFor(hosts: Record<string, unknown>[], extra: { exec?: Exec } = {}): Promise<SshRuntimeUnderTest> {
  const under = await createSshRuntimeForTest({ hosts, workspace: 'shared' }, extra);
  runtimes.push(under);
  return under;
}

async function errorOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: Error & { code?: string }) => error,
  );
}

function agentStart(id: string) {
  const out = join(scratch, id);
  return { sessionId: id, cwd, argv: [process.execPath, join(scratch, 'agent.cjs'), out], out };
}

beforeAll(async () => {
  [one, two] = await Promise.all([startSshd('sshd-one'), startSshd('sshd-two')]);
  const under = await runtimeFor([one.host('one')]);
  scratch = join(under.root, 'scratch');
  cwd = join(under.root, 'work');
  await mkdir(scratch, { recursive: true });
  await mkdir(cwd, { recursive: true });
  await writeFile(join(scratch, 'agent.cjs'), AGENT);
});

afterAll(async () => {
  for (const under of runtimes) await under.cleanup();
  // A host stopped by a test still has its tmux server; it is this machine, so end it here.
  for (const sshd of [one, two]) {
    if (sshd) await exec('tmux', ['-S', join(sshd.remoteRoot, 'tmux.sock'), 'kill-server'], { reject: false });
  }
  await Promise.all([one?.stop(), two?.stop()]);
});

describe('host keys', () => {
  it('refuses a host whose key is not in known_hosts, naming the host and how to add its key; starts nothing', async () => {
    const empty = join(one.dir, `empty-known-hosts-${randomBytes(3).toString('hex')}`);
    await writeFile(empty, '');
    const { runtime } = await runtimeFor([one.host('stranger', { knownHostsFile: empty })]);
    const probes = await runtime.probeHosts();
    expect(probes[0]?.reachable).toBe(false);
    const error = probes[0]?.error as Error & { code?: string };
    expect(error.code).toBe('HOST_KEY_UNKNOWN');
    expect(error.message).toContain('stranger');
    expect(error.message).toContain(`ssh-keyscan -p ${one.port} 127.0.0.1 >> ${empty}`);
    const failed = await errorOf(runtime.start(agentStart('unknown-key')));
    expect(failed.code).toBe('SESSION_LIMIT');
    expect(failed.message).toContain('stranger: unreachable');
    expect(readFileSync(empty, 'utf8')).toBe('');
  });

  it('refuses a host whose key changed, saying so', async () => {
    const other = join(one.dir, 'other_key');
    if (!existsSync(other)) await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const wrong = join(one.dir, 'wrong-known-hosts');
    await writeFile(wrong, `[127.0.0.1]:${one.port} ${readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
    const { runtime } = await runtimeFor([one.host('moved', { knownHostsFile: wrong })]);
    const [probe] = await runtime.probeHosts();
    expect((probe?.error as { code?: string }).code).toBe('HOST_KEY_UNKNOWN');
    expect((probe?.error as Error).message).toContain('CHANGED');
  });

  it('trustOnFirstUse records the key of a new host and connects', async () => {
    const fresh = join(one.dir, `tofu-known-hosts-${randomBytes(3).toString('hex')}`);
    await writeFile(fresh, '');
    const { runtime } = await runtimeFor([one.host('tofu', { knownHostsFile: fresh, trustOnFirstUse: true })]);
    const [probe] = await runtime.probeHosts();
    expect(probe?.reachable).toBe(true);
    expect(probe?.tmux).toMatch(/^tmux /);
    expect(readFileSync(fresh, 'utf8')).toContain(`[127.0.0.1]:${one.port}`);
  });

  it('has no password option, and a host cannot be an ssh option', () => {
    const parsed = plugin.configSchema.safeParse({ hosts: [{ ...one.host('pw'), password: 'hunter2' }] });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('passwords are not supported');
    const option = plugin.configSchema.safeParse({ hosts: [{ ...one.host('opt'), host: '-oProxyCommand=touch /tmp/pwned' }] });
    expect(option.success).toBe(false);
  });
});

describe('paths with spaces', () => {
  it('a data dir and a known_hosts file whose paths have spaces work (ssh splits unquoted option values)', async () => {
    const spaced = join(one.dir, 'known hosts dir');
    await mkdir(spaced, { recursive: true });
    await writeFile(join(spaced, 'known hosts'), readFileSync(one.knownHosts, 'utf8'));
    const under = await createSshRuntimeForTest({ hosts: [one.host('spaced', { knownHostsFile: join(spaced, 'known hosts') })], workspace: 'shared' }, { homeName: 'ao home' });
    runtimes.push(under);
    const [probe] = await under.runtime.probeHosts();
    expect(probe?.error).toBeUndefined();
    expect(probe?.reachable).toBe(true);
    expect(readdirSync(join(under.home, 'ssh', 'cm'))).toHaveLength(1);
  });
});

describe('a host that stops answering', () => {
  it('is reported unreachable after twice the connect timeout, not waited on for ever', async () => {
    const under = await runtimeFor([one.host('frozen', { knownHostsFile: one.knownHosts })]);
    const quick = await createSshRuntimeForTest({ hosts: [one.host('frozen')], workspace: 'shared', connectTimeoutSeconds: 1 });
    runtimes.push(quick);
    expect((await quick.runtime.probeHosts())[0]?.reachable).toBe(true);
    const thaw = one.freeze();
    try {
      const [probe] = await quick.runtime.probeHosts();
      expect(probe?.reachable).toBe(false);
      expect((probe?.error as { code?: string }).code).toBe('HOST_UNREACHABLE');
      expect((probe?.error as Error).message).toContain('ssh host frozen');
      expect((probe?.error as Error).message).toContain('did not answer within 2 s');
    } finally {
      thaw();
    }
    expect((await under.runtime.probeHosts())[0]?.reachable).toBe(true);
  });
});

describe('a deep data dir', () => {
  it('keeps its connection sockets in a private directory of the temp dir when the data dir is too deep for a socket path', async () => {
    const under = await createSshRuntimeForTest({ hosts: [one.host('deep')], workspace: 'shared' }, { homeName: `a-data-dir-${'x'.repeat(70)}` });
    runtimes.push(under);
    const [probe] = await under.runtime.probeHosts();
    expect(probe?.error).toBeUndefined();
    expect(probe?.reachable).toBe(true);
    const dir = controlDirFor(under.home);
    expect(dir.startsWith(under.home)).toBe(false);
    expect(readdirSync(dir)).toHaveLength(1);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(dirname(dir)).mode & 0o777).toBe(0o700);
  });
});

describe('secrets', () => {
  it('the agent gets its secret env, argv and typed prompt; none of them is on any command line here or on the host', async () => {
    const { runtime } = await runtimeFor([one.host('one')]);
    const secret = `sk-test-${randomBytes(12).toString('hex')}-it's "$(x)"`;
    const word = `arg-${randomBytes(6).toString('hex')} with 'quotes', $(whoami), \`ls\`;\nand a newline`;
    const prompt = `PROMPT-${randomBytes(8).toString('hex')}: fix the login bug`;
    const start = agentStart(`secret-${randomBytes(3).toString('hex')}`);
    const handle = await runtime.start({ ...start, argv: [...start.argv, word], env: { AO_TEST_API_KEY: secret } });
    const started = await vi.waitFor(() => JSON.parse(readFileSync(`${start.out}.start.json`, 'utf8')) as { env: string; argv: string[] }, { timeout: 15_000, interval: 50 });
    expect(started.env).toBe(secret);
    expect(started.argv).toEqual([word]);
    await vi.waitFor(async () => expect(await runtime.capture(handle)).toContain('ready>'), { timeout: 15_000, interval: 50 });
    await runtime.sendText(handle, prompt);
    await vi.waitFor(() => expect(readFileSync(`${start.out}.typed`, 'utf8')).toContain(prompt), { timeout: 15_000, interval: 50 });
    expect(processArgvContaining([secret.slice(0, 20), prompt])).toEqual([]);
    // The launch file deleted itself; its directory on the host is private.
    const launchDir = join(one.remoteRoot, 'launch');
    expect(readdirSync(launchDir)).toEqual([]);
    expect(statSync(launchDir).mode & 0o777).toBe(0o700);
    await runtime.stop(handle);
  });
});

describe('placement over two hosts', () => {
  it('places by free slots, answers liveness with one ssh call per host, and keeps sessions of a host that went down unknown, not exited', async () => {
    let sshCalls = 0;
    const counting: Exec = (file, args, options) => {
      if (file === 'ssh' && !args.includes('-O')) sshCalls++;
      return exec(file, args, options);
    };
    const under = await runtimeFor([one.host('one', { maxSessions: 2 }), two.host('two', { maxSessions: 1 })], { exec: counting });
    const { runtime } = under;
    const handles: RuntimeHandle[] = [];
    for (const n of [1, 2, 3]) handles.push(await runtime.start(agentStart(`place-${n}-${randomBytes(2).toString('hex')}`)));
    // Least loaded first: the first two go to different hosts (both empty; the one with more free
    // memory first), the third to one (1/2 beats two's 1/1).
    expect(new Set(handles.slice(0, 2).map((h) => h.data?.host))).toEqual(new Set(['one', 'two']));
    expect(handles[2]?.data?.host).toBe('one');
    handles.sort((a, b) => String(a.data?.host).localeCompare(String(b.data?.host)));
    const full = await errorOf(runtime.start(agentStart('place-4')));
    expect(full.code).toBe('SESSION_LIMIT');
    expect(full.message).toContain('one: full (2/2 sessions)');
    expect(full.message).toContain('two: full (1/1 sessions)');

    // One shared connection per host, its socket in a private directory of the data dir.
    const controlDir = join(under.home, 'ssh', 'cm');
    expect(statSync(controlDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(controlDir)).toHaveLength(2);

    sshCalls = 0;
    const alive = await runtime.aliveMany(handles);
    expect(sshCalls).toBe(2);
    // Terminals of this data dir on every host, found by name (orphan detection), one call per host.
    sshCalls = 0;
    const owned = await runtime.listOwned!();
    expect(sshCalls).toBe(2);
    expect(owned.map((o) => o.handle.id).sort()).toEqual(handles.map((h) => h.id).sort());
    expect(owned.every((o) => o.alive && o.attach[0] === 'ssh' && o.attach.includes('-t'))).toBe(true);
    expect([...alive.values()]).toEqual([true, true, true]);

    // Host two goes down: its session is left out (unknown), host one still answers.
    await two.stop();
    const during = await runtime.aliveMany(handles);
    expect(during.get(handles[0]!.id)).toBe(true);
    expect(during.get(handles[1]!.id)).toBe(true);
    expect(during.has(handles[2]!.id)).toBe(false);
    const down = await errorOf(runtime.isAlive(handles[2]!));
    expect(isAoError(down) && down.code).toBe('HOST_UNREACHABLE');
    expect(down.message).toContain('two');

    // New work goes elsewhere: a slot freed on one takes it, and the message names two as unreachable when none is free.
    await runtime.stop(handles[0]!);
    const moved = await runtime.start(agentStart(`place-5-${randomBytes(2).toString('hex')}`));
    expect(moved.data?.host).toBe('one');
    const none = await errorOf(runtime.start(agentStart('place-6')));
    expect(none.message).toMatch(/two: unreachable/);
  });
});
