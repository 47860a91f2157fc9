// Agents that talk to each other: session A's `ao mcp` server (a real MCP client over stdio, with
// AO_SESSION_ID set as in A's own environment) messages session B or a crew, through the same
// delivery path as `ao send`, in real tmux, to scripted fake agents that log what they receive.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { fakeAgentArgv } from '@ao/testkit/fake-agent';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AO_BIN, runAo } from './run-ao.js';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

type LogEntry = { type: string; name: string; text?: string };
type Event = { type: string; key?: string; data?: Record<string, unknown> };

let env: SessionEnv;
let bin: string;
let aoEnv: Record<string, string>;
const clients: Client[] = [];

beforeEach(async () => {
  env = await createSessionEnv();
  // Three fake agents that sign their log lines, so each session's inbox can be told apart.
  const agent = (name: string): string => `  ${name}: { command: ${JSON.stringify(fakeAgentArgv(['--log', env.log, '--name', name]))}, prompt: arg }\n`;
  env.writeConfig(`${agent('a')}${agent('b')}${agent('c')}  menu: { plugin: claude-code, prompt: arg }\n`);
  bin = join(env.home, '..', 'bin');
  mkdirSync(bin, { recursive: true });
  // AO_SESSION_ID empty: a human at a terminal (the tests may themselves run inside a session).
  aoEnv = { AO_HOME: env.home, AO_SESSION_ID: '', PATH: `${bin}:${process.env.PATH ?? ''}`, CLAUDE_CONFIG_DIR: join(env.home, '..', 'claude-home') };
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await env.cleanup();
});

const ao = (...args: string[]) => runAo(args, { cwd: env.repo, env: aoEnv });
const json = <T>(...args: string[]): T => {
  const r = ao(...args);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};
const entries = (): LogEntry[] => (existsSync(env.log) ? readFileSync(env.log, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as LogEntry) : []);
const inbox = (name: string): string[] => entries().filter((e) => e.type === 'received' && e.name === name).map((e) => e.text ?? '');
const events = (id: string): Event[] =>
  readFileSync(join(env.home, 'projects', 'app', 'sessions', `${id}.events.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Event);

/** Spawns a session on fake agent `agent` and waits until it has its prompt. */
async function spawn(agent: string): Promise<string> {
  const r = ao('spawn', '--agent', agent, '--prompt', `task for ${agent}`);
  expect(r.code, r.stderr).toBe(0);
  await until(() => inbox(agent).some((t) => t.includes(`task for ${agent}`)), 15_000, `${agent}'s prompt`);
  return r.stdout.trim();
}

/** `ao mcp` as the MCP server of session `sessionId` (or of a human, with ''), started in `cwd` (default: the repo). */
async function mcpOf(sessionId: string, cwd = env.repo) {
  const client = new Client({ name: 'ao-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: [AO_BIN, '--config', join(env.repo, 'agent-orchestrator.yaml'), 'mcp'], cwd, env: { ...(process.env as Record<string, string>), ...aoEnv, NO_COLOR: '1', AO_SESSION_ID: sessionId }, stderr: 'pipe' }),
  );
  clients.push(client);
  return async <T>(name: string, args: Record<string, unknown>): Promise<{ isError: boolean; value: T; text: string }> => {
    const result = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: { text: string }[] };
    const text = result.content.map((c) => c.text).join('');
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // an error message
    }
    return { isError: result.isError === true, value: value as T, text };
  };
}

/** Everything sent before this reached `agent` once it has this marker too (each delivery is one submission, in order). */
async function drain(id: string, agent: string): Promise<void> {
  const marker = `marker ${Math.random().toString(36).slice(2)}`;
  expect(ao('send', id, marker).code).toBe(0);
  await until(() => inbox(agent).includes(marker), 15_000, `the marker at ${agent}`);
}

describe('messages between sessions', () => {
  it('A messages B through its MCP server: B gets "[from A] text" exactly once, and both logs record it', async () => {
    const a = await spawn('a');
    const b = await spawn('b');
    const call = await mcpOf(a);
    const { tools } = await (clients[0] as Client).listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['send_message', 'list_crew', 'crew_log']));

    const text = 'the API is ready\nuse /v2/login';
    const sent = await call<{ delivered: string[] }>('send_message', { session: b, text });
    expect(sent.isError, sent.text).toBe(false);
    expect(sent.value.delivered).toEqual([b]);
    await drain(b, 'b');
    expect(inbox('b').filter((t) => t === `[from ${a}] ${text}`)).toHaveLength(1);
    expect(inbox('a').some((t) => t.includes(text))).toBe(false);

    // Delivered like any message (message.sent on B), and recorded on both sides with who, to whom and what.
    const received = events(b).filter((e) => e.type === 'message.received');
    expect(received).toHaveLength(1);
    expect(received[0]?.data).toMatchObject({ from: a, to: b, text });
    const deliveryId = received[0]?.data?.deliveryId;
    expect(events(b).some((e) => e.type === 'message.sent' && e.data?.deliveryId === deliveryId)).toBe(true);
    expect(events(a).filter((e) => e.type === 'message.posted').map((e) => e.data)).toEqual([{ deliveryId, from: a, to: b, text }]);

    // The sender is this server's session, never an argument; an id that names no session is refused.
    const bogus = await mcpOf('app-99');
    const refused = await bogus('send_message', { session: b, text: 'who am I' });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/^SESSION_NOT_FOUND: AO_SESSION_ID=app-99 names no session/);
    const self = await call('send_message', { session: a, text: 'me' });
    expect(self.text).toMatch(/^USAGE: .*itself/);

    // An agent CLI that starts its MCP servers with a filtered environment (Codex): the server
    // running in B's workspace is B's.
    const workspace = json<{ id: string; workspacePath: string }[]>('session', 'ls', '--json').find((s) => s.id === b)?.workspacePath as string;
    const fromB = await (await mcpOf('', workspace))('send_message', { session: a, text: 'thanks' });
    expect(fromB.isError, fromB.text).toBe(false);
    await drain(a, 'a');
    expect(inbox('a').filter((t) => t === `[from ${b}] thanks`)).toHaveLength(1);
  });

  it('a crew of three: one send from A reaches B and C once each, is in the crew log, and a human can write to all', async () => {
    const [a, b, c] = [await spawn('a'), await spawn('b'), await spawn('c')];
    const created = json<{ name: string; members: string[]; goal: string }>('crew', 'create', 'login', '--goal', 'ship the login page', a, b, c, '--json');
    expect(created).toMatchObject({ name: 'login', members: [a, b, c], goal: 'ship the login page' });
    expect(ao('crew', 'create', 'login', '--goal', 'again').stderr).toMatch(/CREW_EXISTS|exists already/);
    expect(ao('crew', 'add', 'login', 'app-42').code).not.toBe(0);

    const call = await mcpOf(a);
    const mine = await call<{ name: string; members: { id: string }[] }[]>('list_crew', {});
    expect(mine.value.map((x) => [x.name, x.members.map((m) => m.id)])).toEqual([['login', [a, b, c]]]);

    const sent = await call<{ delivered: string[]; refused: unknown[] }>('send_message', { crew: 'login', text: 'I take the API' });
    expect(sent.isError, sent.text).toBe(false);
    expect(sent.value.delivered.slice().sort()).toEqual([b, c]);
    expect(sent.value.refused).toEqual([]);
    await drain(b, 'b');
    await drain(c, 'c');
    await drain(a, 'a');
    for (const who of ['b', 'c']) expect(inbox(who).filter((t) => t === `[from ${a} in crew login] I take the API`)).toHaveLength(1);
    expect(inbox('a').some((t) => t.includes('I take the API'))).toBe(false);
    expect(events(b).find((e) => e.type === 'message.received')?.data).toMatchObject({ from: a, to: b, crew: 'login', text: 'I take the API' });
    expect(events(a).find((e) => e.type === 'message.posted')?.data).toMatchObject({ from: a, crew: 'login', text: 'I take the API' });

    // A human at a terminal writes to every member.
    const human = ao('crew', 'send', 'login', 'standup in 5', '--json');
    expect(human.code, human.stderr).toBe(0);
    for (const [id, who] of [[a, 'a'], [b, 'b'], [c, 'c']] as const) {
      await drain(id, who);
      expect(inbox(who).filter((t) => t === '[from human in crew login] standup in 5')).toHaveLength(1);
    }

    const shown = json<{ goal: string; members: { id: string; status: string }[]; log: { from: string; text: string; delivered: string[] }[] }>('crew', 'show', 'login', '--json');
    expect(shown.members.map((m) => m.id)).toEqual([a, b, c]);
    expect(shown.log.map((m) => [m.from, m.text, m.delivered.slice().sort()])).toEqual([
      [a, 'I take the API', [b, c]],
      ['human', 'standup in 5', [a, b, c]],
    ]);
    const log = await call<{ text: string }[]>('crew_log', { name: 'login' });
    expect(log.value.map((m) => m.text)).toEqual(['I take the API', 'standup in 5']);
    expect(json<{ name: string; messages: number }[]>('crew', 'ls', '--json')).toMatchObject([{ name: 'login', messages: 2 }]);
    expect(json<{ members: string[] }>('crew', 'rm', 'login', c, '--json').members).toEqual([a, b]);
  });

  it("a worker spawned through MCP gets ao's server with the messaging tools only, and it signs as the worker", async () => {
    const a = await spawn('a');
    const orchestrator = await mcpOf('');
    const spawned = await orchestrator<{ id: string }>('spawn', { agent: 'b', prompt: 'task for b' });
    expect(spawned.isError, spawned.text).toBe(false);
    const worker = spawned.value.id;
    await until(() => inbox('b').some((t) => t.includes('task for b')), 15_000, "the worker's prompt");
    const record = json<{ id: string; workspacePath: string; mcpServers?: Record<string, { command: string; args: string[]; env?: Record<string, string> }> }[]>('session', 'ls', '--json').find((s) => s.id === worker);
    const spec = record?.mcpServers?.ao;
    expect(spec?.args.slice(-2)).toEqual(['mcp', '--worker']);

    // Started as an agent CLI that filters its MCP servers' environment would (Codex): the recorded
    // command and env only, in the worker's workspace.
    const client = new Client({ name: 'worker-agent', version: '1.0.0' });
    const filtered = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TMUX_TMPDIR: process.env.TMUX_TMPDIR ?? '', ...spec?.env };
    await client.connect(new StdioClientTransport({ command: spec?.command as string, args: spec?.args as string[], cwd: record?.workspacePath as string, env: filtered, stderr: 'pipe' }));
    clients.push(client);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['crew_log', 'list_crew', 'send_message']);
    const result = (await client.callTool({ name: 'send_message', arguments: { session: a, text: 'done with the API' } })) as { isError?: boolean; content: { text: string }[] };
    expect(result.isError, result.content[0]?.text).toBeFalsy();
    await drain(a, 'a');
    expect(inbox('a').filter((t) => t === `[from ${worker}] done with the API`)).toHaveLength(1);
    expect(events(worker).find((e) => e.type === 'message.posted')?.data).toMatchObject({ from: worker, to: a });
  });

  it('a session waiting on a menu is not typed into: the message is refused and says why', async () => {
    // A stand-in `claude` (the fake agent; agent `menu` is the claude-code plugin, prompt as argument)
    // that takes its prompt, then shows Claude Code's permission menu.
    const scenario = join(bin, 'menu.yaml');
    writeFileSync(
      scenario,
      JSON.stringify({ steps: [{ prompt: ' ' }, { print: 'Bash command\n\n  rm -rf build\n\nDo you want to proceed?\n❯ 1. Yes\n  2. No\n\nEsc to cancel' }, { prompt: ' ' }, { echo: true }, { idle: true }] }),
    );
    writeFileSync(join(bin, 'claude'), `#!/bin/sh\nexec ${fakeAgentArgv(['--log', env.log, '--name', 'menu', '--scenario', scenario]).map((x) => `'${x}'`).join(' ')} "$@"\n`);
    chmodSync(join(bin, 'claude'), 0o755);
    const a = await spawn('a');
    const r = ao('spawn', '--agent', 'menu', '--prompt', 'clean up');
    expect(r.code, r.stderr).toBe(0);
    const m = r.stdout.trim();
    await until(() => inbox('menu').some((t) => t.includes('clean up')), 15_000, 'the menu agent to start');
    const screen = (): string => execFileSync('tmux', ['capture-pane', '-p', '-t', `=${env.tmuxName(m)}:`], { encoding: 'utf8' });
    await until(() => screen().includes('Esc to cancel'), 15_000, 'the menu on screen');

    const call = await mcpOf(a);
    const sent = await call('send_message', { session: m, text: 'please rebase first' });
    expect(sent.isError).toBe(true);
    expect(sent.text).toMatch(/^SESSION_STATE: .*waiting on a menu.*Nothing was sent/s);
    const crew = json<unknown>('crew', 'create', 'ops', '--goal', 'ops', a, m, '--json');
    expect(crew).toBeTruthy();
    const viaCrew = await call<{ delivered: string[]; refused: { session: string; code: string }[] }>('send_message', { crew: 'ops', text: 'please rebase first' });
    expect(viaCrew.value).toMatchObject({ delivered: [], refused: [{ session: m, code: 'SESSION_STATE' }] });

    // Nothing waits in its input: the next thing a human types there is submitted alone.
    expect(ao('send', m, '--keys', 'x', 'Enter').code).toBe(0);
    await until(() => inbox('menu').length === 2, 15_000, 'the human keys');
    expect(inbox('menu')[1]).toBe('x');
    expect(events(m).filter((e) => e.type.startsWith('message.')), JSON.stringify(events(m))).toEqual([]);
    expect(events(a).some((e) => e.type === 'message.posted')).toBe(false);
  });
});
