// `ao mcp` driven by a real MCP client from @modelcontextprotocol/sdk over stdio: the built CLI
// serves a temp repo whose agent is the scripted fake agent, in real tmux. Tools spawn, list,
// status and send act through the same core paths as the CLI: the session appears in `ao status`,
// and the message arrives at the agent.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AO_BIN } from './run-ao.js';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

let env: SessionEnv;
let client: Client;

beforeEach(async () => {
  env = await createSessionEnv();
  client = new Client({ name: 'ao-test', version: '1.0.0' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [AO_BIN, 'mcp'],
    cwd: env.repo,
    env: { ...(process.env as Record<string, string>), AO_HOME: env.home, NO_COLOR: '1' },
    stderr: 'pipe',
  });
  await client.connect(transport);
});
afterEach(async () => {
  await client.close();
  await env.cleanup();
});

async function call<T>(name: string, args: Record<string, unknown>): Promise<{ isError: boolean; value: T; text: string }> {
  const result = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: { type: string; text: string }[] };
  const text = result.content.map((c) => c.text).join('');
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // an error message
  }
  return { isError: result.isError === true, value: value as T, text };
}

describe('ao mcp', () => {
  it('offers the ao tools, and spawn, status and send work like the CLI', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      ['answer', 'approvals', 'approve', 'crew_log', 'events', 'list', 'list_crew', 'plan_list', 'plan_run', 'reject', 'send', 'send_message', 'spawn', 'status', 'trace'].sort(),
    );

    const spawned = await call<{ id: string; status: string; branch: string }>('spawn', { prompt: 'build the thing' });
    expect(spawned.isError, spawned.text).toBe(false);
    const id = spawned.value.id;
    expect(id).toMatch(/^app-\d+$/);
    await until(() => env.received().some((t) => t.includes('build the thing')), 15_000, 'the prompt');

    // The session is ao's like any other: the CLI lists it.
    const listed = env.ao('status', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((s) => s.id)).toContain(id);

    const status = await call<{ id: string; status: string; activity: string | null; cost: { usd: number | null } }>('status', { id });
    expect(status.isError, status.text).toBe(false);
    expect(status.value).toMatchObject({ id, status: 'working' });

    const sent = await call<{ delivered: boolean }>('send', { id, message: 'hello from mcp\nsecond line' });
    expect(sent.isError, sent.text).toBe(false);
    await until(() => env.received().includes('hello from mcp\nsecond line'), 15_000, 'the message');
    const events = await call<{ type: string }[]>('events', { id });
    expect(events.value.map((e) => e.type)).toContain('message.sent');

    const list = await call<{ id: string }[]>('list', {});
    expect(list.value.map((s) => s.id)).toEqual([id]);
  });

  it('answers a bad request with the error code and what to do, and keeps serving', async () => {
    const missing = await call('send', { id: 'app-99', message: 'hi' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/^SESSION_NOT_FOUND: /);
    const nothing = await call('spawn', {});
    expect(nothing.isError).toBe(true);
    expect(nothing.text).toMatch(/^USAGE: Nothing to do/);
    expect((await call<unknown[]>('list', {})).value).toEqual([]);
  });
});
