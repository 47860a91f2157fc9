import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeAgentArgv } from '@ao/testkit/fake-agent';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

let env: SessionEnv;
beforeEach(async () => {
  env = await createSessionEnv();
  env.writeConfig('dashboard:\n  port: 0\n');
});
afterEach(async () => {
  env.ao('stop', '--force');
  await env.cleanup();
});

interface Info {
  pid: number;
  url: string;
  port: number;
}
const info = (): Info => JSON.parse(readFileSync(join(env.home, 'daemon.json'), 'utf8')) as Info;
const token = (): string => readFileSync(join(env.home, 'daemon.token'), 'utf8').trim();
const api = (path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(new URL(path, info().url), { ...init, headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json', ...init.headers } });
const sessions = (): Array<{ id: string; role?: string; status: string; activity: string | null; workspacePath: string }> =>
  JSON.parse(env.ao('session', 'ls', '--json').stdout) as Array<{ id: string; role?: string; status: string; activity: string | null; workspacePath: string }>;
const tmuxAlive = (name: string): boolean => {
  try {
    execFileSync('tmux', ['has-session', '-t', `=${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
};

describe('ao start / stop / daemon status', () => {
  it('starts once, reports status, and stops', () => {
    const r = env.ao('start', '--no-orchestrator');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { pid, url } = info();
    expect(r.stdout).toContain(`pid ${pid}`);
    expect(r.stdout).toContain(`${url}/?token=${token()}`);
    expect(r.stdout).toContain(join(env.home, 'logs', 'daemon.log'));
    expect(pidAlive(pid)).toBe(true);
    expect(token()).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(env.home, 'daemon.token')).mode & 0o777).toBe(0o600);

    const status = env.ao('daemon', 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('running');
    expect(status.stdout).toContain(`pid ${pid}`);
    expect(status.stdout).toContain(url);
    expect(status.stdout).toContain('last poll');

    const again = env.ao('start', '--no-orchestrator');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already running');
    expect(again.stdout).toContain(`pid ${pid}`);
    expect(info().pid).toBe(pid);

    const tokenBefore = token();
    const stop = env.ao('stop');
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain('stopped');
    expect(pidAlive(pid)).toBe(false);
    expect(existsSync(join(env.home, 'daemon.json'))).toBe(false);
    expect(existsSync(join(env.home, 'daemon.pid'))).toBe(false);
    const down = env.ao('daemon', 'status');
    expect(down.code).toBe(1);
    expect(down.stdout).toContain('not running');
    expect(env.ao('stop').stdout).toContain('not running');

    // The token survives a restart.
    expect(env.ao('start', '--no-orchestrator').code).toBe(0);
    expect(token()).toBe(tokenBefore);
  });

  it('requires the token on every request: Bearer, ?token (which sets a cookie), or the cookie', async () => {
    expect(env.ao('start', '--no-orchestrator').code).toBe(0);
    const { url } = info();
    for (const path of ['/health', '/api/status', '/api/sessions', '/api/events']) {
      const res = await fetch(new URL(path, url));
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
    const wrong = await fetch(new URL('/api/sessions', url), { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);

    const bearer = await api('/api/status');
    expect(bearer.status).toBe(200);
    expect(await bearer.json()).toMatchObject({ running: true, pid: info().pid });

    const viaQuery = await fetch(new URL(`/api/sessions?token=${token()}`, url));
    expect(viaQuery.status).toBe(200);
    const cookie = viaQuery.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`ao_token=${token()}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');

    const viaCookie = await fetch(new URL('/api/sessions', url), { headers: { cookie: cookie.split(';')[0] as string } });
    expect(viaCookie.status).toBe(200);
    expect(await viaCookie.json()).toMatchObject({ sessions: [] });

    const pty = await fetch(new URL('/api/pty', url));
    expect(pty.status).toBe(401);
    const ptyList = await api('/api/pty');
    expect(ptyList.status).toBe(200);
    expect(await ptyList.json()).toMatchObject({ ptys: [] });

    const approvals = await api('/api/approvals');
    expect(approvals.status).toBe(200);
    expect(await approvals.json()).toMatchObject({ approvals: [] });
    const unknownApproval = await api('/api/approvals/ap-00000000/approve', { method: 'POST', body: '{}' });
    expect(unknownApproval.status).toBe(404);

    const missing = await api('/api/sessions/app-99');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'SESSION_NOT_FOUND' } });
    const bad = await api('/api/sessions', { method: 'POST', body: JSON.stringify({}) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'USAGE' } });
  });

  it('spawns through the API, and /api/events pushes the events of `ao send`', async () => {
    expect(env.ao('start', '--no-orchestrator').code).toBe(0);
    const res = await api('/api/sessions', { method: 'POST', body: JSON.stringify({ prompt: 'Add a greeting' }) });
    expect(res.status).toBe(201);
    const spawned = (await res.json()) as { id: string };
    expect(spawned.id).toBe('app-1');
    const status = env.ao('status', '--json');
    expect(JSON.parse(status.stdout)).toEqual([expect.objectContaining({ id: 'app-1', status: 'working' })]);
    await until(() => env.received().some((t) => t.includes('Add a greeting')), 10_000, 'the prompt');

    const one = (await (await api('/api/sessions/app-1')).json()) as { id: string };
    expect(one.id).toBe('app-1');
    const log = (await (await api('/api/sessions/app-1/events')).json()) as { events: { type: string }[] };
    expect(log.events.map((e) => e.type)).toContain('session.spawned');

    // Subscribe, then act through the CLI (another process): the event arrives on the stream.
    const controller = new AbortController();
    const stream = await api('/api/events', { signal: controller.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const next = async (): Promise<void> => {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += decoder.decode(value, { stream: true });
    };
    await next(); // ": connected" — the hub is following now
    const sent = env.ao('send', 'app-1', 'hello over SSE');
    expect(sent.code).toBe(0);
    const deadline = Date.now() + 10_000;
    interface Pushed {
      sessionId: string;
      project: string;
      event: { type: string; data?: { preview?: string } };
    }
    let message: Pushed | undefined;
    while (!message && Date.now() < deadline) {
      await next();
      for (const block of buffer.split('\n\n')) {
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (!block.includes('event: session') || !data) continue;
        const m = JSON.parse(data.slice(6)) as Pushed;
        if (m.event.type === 'message.sent' && m.event.data?.preview === 'hello over SSE') message = m;
      }
    }
    controller.abort();
    expect(message).toMatchObject({ sessionId: 'app-1', project: 'app', event: { type: 'message.sent' } });

    // Mutations through the API go through the SessionManager too.
    const killed = await api('/api/sessions/app-1/kill', { method: 'POST' });
    expect(killed.status).toBe(200);
    expect(sessions()[0]?.status).toBe('killed');
    const poll = await api('/api/lifecycle/poll', { method: 'POST' });
    expect(poll.status).toBe(202);
  });

  it('stop leaves sessions, their tmux terminals and workspaces running', () => {
    expect(env.ao('start', '--no-orchestrator').code).toBe(0);
    const id = env.ao('spawn', '--prompt', 'work').stdout.trim();
    // The CLI told the running daemon to poll now.
    const status = JSON.parse(env.ao('daemon', 'status', '--json').stdout) as { lifecycle: { lastTrigger: string } };
    expect(status.lifecycle.lastTrigger).toBe(`spawn ${id}`);
    const [before] = sessions();
    expect(env.ao('stop').code).toBe(0);
    expect(tmuxAlive(env.tmuxName(id))).toBe(true);
    expect(existsSync(String(before?.workspacePath))).toBe(true);
    const [after] = sessions();
    expect(after).toMatchObject({ id, status: 'working' });
    expect(env.ao('send', id, 'still here').code).toBe(0);
  });

  it('after kill -9 of the daemon, `ao start` cleans up the stale files and starts again', async () => {
    expect(env.ao('start', '--no-orchestrator').code).toBe(0);
    const { pid } = info();
    process.kill(pid, 'SIGKILL');
    await until(() => !pidAlive(pid), 20_000, `the killed daemon (pid ${pid}) to be gone`);
    const status = env.ao('daemon', 'status');
    expect(status.stdout).toContain('not running');
    // Whichever command meets the stale record first removes it, with one line.
    expect(status.stderr.trim()).toBe(`removed stale daemon files (pid ${pid} is not running)`);
    expect(existsSync(join(env.home, 'daemon.json'))).toBe(false);
    const r = env.ao('start', '--no-orchestrator');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(info().pid).not.toBe(pid);
    expect(pidAlive(info().pid)).toBe(true);
  });

  it('fails with the reason and the log tail when the daemon cannot listen', async () => {
    expect(env.ao('start', '--no-orchestrator').code).toBe(0);
    const { port } = info();
    const other = await createSessionEnv();
    try {
      other.writeConfig(`dashboard:\n  port: ${port}\n`);
      const r = other.ao('start', '--no-orchestrator');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('exited during start-up');
      expect(r.stderr).toContain(`could not listen on 127.0.0.1:${port}`);
      expect(existsSync(join(other.home, 'daemon.json'))).toBe(false);
    } finally {
      other.ao('stop');
      await other.cleanup();
    }
  });

  it('two racing `ao start`s leave exactly one daemon', async () => {
    const [a, b] = await Promise.all([env.aoAsync('start', '--no-orchestrator'), env.aoAsync('start', '--no-orchestrator')]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect([a.stdout, b.stdout].filter((out) => out.includes('daemon started'))).toHaveLength(1);
    const { pid } = info();
    expect(pidAlive(pid)).toBe(true);
    expect(env.ao('stop').stdout).toContain(`stopped (pid ${pid})`);
    // No second daemon of this AO_HOME lingers.
    const daemons = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('start --foreground'))
      .map((l) => Number.parseInt(l.trim(), 10))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`AO_HOME=${env.home}`);
        } catch {
          return false;
        }
      });
    expect(daemons.filter(pidAlive)).toEqual([]);
  });

  it('warns when it listens on a non-loopback address', () => {
    env.writeConfig('dashboard:\n  host: 0.0.0.0\n  port: 0\n');
    const r = env.ao('start', '--no-orchestrator');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: the daemon listens on 0.0.0.0');
    expect(readFileSync(join(env.home, 'logs', 'daemon.log'), 'utf8')).toContain('0.0.0.0');
  });

  it('hosts the terminals of runtime: process sessions', async () => {
    const argv = fakeAgentArgv(['--log', env.log]);
    writeFileSync(
      join(env.repo, 'agent-orchestrator.yaml'),
      `defaults:\n  runtime: process\n  agent: fake\nprojects:\n  app:\n    path: .\n    defaultBranch: main\nagents:\n  fake: { command: ${JSON.stringify(argv)}, prompt: arg }\ndashboard:\n  port: 0\n`,
    );
    expect(env.ao('start', '--no-orchestrator').stderr).toBe('');
    const spawned = env.ao('spawn', '--prompt', 'in a pty');
    expect(spawned.stderr).toBe('');
    expect(spawned.code).toBe(0);
    expect(spawned.stdout.trim()).toBe('app-1');
    await until(() => env.received().some((t) => t.includes('in a pty')), 10_000, 'the prompt');
    expect(env.ao('send', 'app-1', 'second').code).toBe(0);
    await until(() => env.received().includes('second'), 10_000, 'the message');
    const ptys = (await (await api('/api/pty')).json()) as { ptys: { sessionId: string; alive: boolean }[] };
    expect(ptys.ptys).toEqual([expect.objectContaining({ sessionId: 'app-1', alive: true })]);

    // Stopping the daemon would end the pty session: refused without --force, nothing stopped.
    const refused = env.ao('stop');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("1 session(s) run in the daemon's process runtime and would end with it: app-1");
    expect(refused.stderr).toContain('ao stop --force');
    expect(env.ao('daemon', 'status').stdout).toContain('running');
    expect(env.ao('send', 'app-1', 'still here').code).toBe(0);
    await until(() => env.received().includes('still here'), 10_000, 'a message after the refused stop');

    const forced = env.ao('stop', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('ended app-1 (workspaces kept');
    const [s] = sessions();
    expect(existsSync(s!.workspacePath)).toBe(true);
    expect(s!.activity).toBe('exited');
  });
});

describe('the orchestrator session', () => {
  it('--no-orchestrator starts none', () => {
    expect(env.ao('start', '--no-orchestrator').code).toBe(0);
    expect(sessions()).toEqual([]);
  });

  it('a plain program as the agent is not started as the orchestrator; start says why', () => {
    env.writeConfig('dashboard:\n  port: 0\n');
    const r = env.ao('start');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('orchestrator: not started: the agent "fake" is a plain program that cannot plan');
    expect(sessions()).toEqual([]);
    const status = JSON.parse(env.ao('daemon', 'status', '--json').stdout) as { orchestrator: { state: string; reason: string } };
    expect(status.orchestrator).toMatchObject({ state: 'disabled', reason: expect.stringContaining('canPlan: true') });
  });

  it('starts exactly one orchestrator, and a restart does not start a second', async () => {
    // The scripted fake stands in for an AI agent here, so it says it can plan.
    const planner = fakeAgentArgv(['--log', env.log]);
    env.writeConfig(`  planner: { command: ${JSON.stringify(planner)}, prompt: arg, canPlan: true }\ndashboard:\n  port: 0\norchestrator:\n  agent: planner\n`);
    const r = env.ao('start');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/orchestrator: app-1/);
    const [orch] = sessions();
    expect(orch).toMatchObject({ id: 'app-1', role: 'orchestrator', status: 'working' });
    await until(() => env.received().some((t) => t.includes('You are the orchestrator') && t.includes('spawn <issue>') && t.includes('8 workers run at once')), 10_000, 'the orchestrator prompt');
    const stopped = env.ao('stop');
    expect(stopped.code).toBe(0);
    // It says what it leaves running and how to end it.
    expect(stopped.stdout).toContain("still running, without the daemon's reactions: app-1 (orchestrator)");
    expect(stopped.stdout).toContain('end one: ao session kill <id>');
    expect(tmuxAlive(env.tmuxName('app-1'))).toBe(true);

    const again = env.ao('start');
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('app-1 (already running)');
    expect(sessions().filter((s) => s.role === 'orchestrator')).toHaveLength(1);
    const status = JSON.parse(env.ao('daemon', 'status', '--json').stdout) as { orchestrator: { state: string; sessionId: string } };
    expect(status.orchestrator).toMatchObject({ state: 'running', sessionId: 'app-1' });
  });

  it('when the orchestrator cannot spawn, the daemon still runs and start says why', () => {
    // `extra` continues the agents: map of the test config.
    env.writeConfig('  missing: { command: ["ao-no-such-agent-cli"], canPlan: true }\ndashboard:\n  port: 0\norchestrator:\n  agent: missing\n');
    const r = env.ao('start');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('orchestrator session could not be started');
    expect(r.stderr).toContain('ao-no-such-agent-cli');
    expect(env.ao('daemon', 'status').code).toBe(0);
  });
});
