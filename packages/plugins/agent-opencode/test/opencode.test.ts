import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPluginContext, type Agent } from '@ao/core/plugin';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import plugin, { opencodeMcpConfig } from '../src/index.js';

let root: string;
let workspace: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ao-opencode-'));
  workspace = join(root, 'ws', 'ao-2');
  await mkdir(workspace, { recursive: true });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function agent(config: Record<string, unknown> = {}): Promise<Agent> {
  const ctx = createPluginContext({ configDir: root, env: { HOME: join(root, 'home'), AO_HOME: join(root, 'ao'), XDG_DATA_HOME: join(root, 'xdg') } });
  return plugin.create(plugin.configSchema.parse(config), ctx);
}
const startedAt = Date.now() - 600_000;
const probe = (screen: string, msSinceScreenChange = 10_000, alive = true) => ({
  workspacePath: workspace,
  alive,
  screen,
  msSinceScreenChange,
  startedAt,
  now: Date.now(),
});

/** Writes an OpenCode session record under $XDG_DATA_HOME/opencode/storage/session/<project>/. */
async function sessionRecord(id: string, directory: string, ageMs: number, extra: Record<string, unknown> = {}): Promise<void> {
  const dir = join(root, 'xdg', 'opencode', 'storage', 'session', '4b0ea68d7af9a6031a7ffda7ad66e0cb83315750');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${id}.json`);
  const t = Date.now() - ageMs;
  await writeFile(path, JSON.stringify({ id, version: '1.0.0', projectID: 'p', directory, title: 'Fix', time: { created: t, updated: t }, ...extra }));
  await utimes(path, new Date(t), new Date(t));
}

interface SqliteDb {
  exec(sql: string): void;
  prepare(sql: string): { run(...params: unknown[]): unknown };
  close(): void;
}

/**
 * Writes session rows into an OpenCode 1.x database, $XDG_DATA_HOME/opencode/opencode.db, with the
 * `session` table's columns as OpenCode 1.18.33 creates them (those it requires, and those ao reads).
 */
async function dbSessions(rows: { id: string; directory: string; ageMs: number; parentId?: string }[]): Promise<void> {
  const dir = join(root, 'xdg', 'opencode');
  await mkdir(dir, { recursive: true });
  const { default: Database } = (await import('better-sqlite3' as string)) as { default: new (path: string) => SqliteDb };
  const db = new Database(join(dir, 'opencode.db'));
  try {
    db.exec(
      'create table if not exists session (id text primary key, project_id text not null, parent_id text, slug text not null, directory text not null, title text not null, version text not null, cost real default 0 not null, tokens_input integer default 0 not null, tokens_output integer default 0 not null, tokens_reasoning integer default 0 not null, tokens_cache_read integer default 0 not null, tokens_cache_write integer default 0 not null, model text, time_created integer not null, time_updated integer not null)',
    );
    const insert = db.prepare("insert into session (id, project_id, parent_id, slug, directory, title, version, time_created, time_updated) values (?, 'p', ?, 's', ?, 't', '1.18.33', ?, ?)");
    for (const r of rows) insert.run(r.id, r.parentId ?? null, r.directory, Date.now() - r.ageMs - 1_000, Date.now() - r.ageMs);
  } finally {
    db.close();
  }
}

describe('opencode launch', () => {
  it('starts the TUI and types the prompt in', async () => {
    const prompt = 'Fix "x"\nand y';
    expect(await (await agent()).launch({ sessionId: 'ao-1', workspacePath: workspace, prompt })).toEqual({
      argv: ['opencode'],
      initialInput: prompt,
    });
  });

  it('passes model, agent and extra args, and resumes with --session', async () => {
    const a = await agent({ model: 'anthropic/claude-sonnet-4', agent: 'build', extraArgs: ['--print-logs'] });
    expect(a.canResume).toBe(true);
    expect((await a.launch({ sessionId: 'ao-1', workspacePath: workspace, resumeId: 'ses_abc' })).argv).toEqual([
      'opencode',
      '--model',
      'anthropic/claude-sonnet-4',
      '--agent',
      'build',
      '--session',
      'ses_abc',
      '--print-logs',
    ]);
  });

  it("gives the session's MCP servers through OPENCODE_CONFIG_CONTENT, over the user's own inline config", async () => {
    const servers = { ao: { command: '/usr/bin/node', args: ['/ao/bin.js', '--config', '/repo/agent-orchestrator.yaml', 'mcp', '--worker'], env: { AO_HOME: '/data' } } };
    const launched = await (await agent()).launch({ sessionId: 'ao-1', workspacePath: workspace, prompt: 'x', mcpServers: servers });
    expect(launched.argv).toEqual(['opencode']);
    expect(JSON.parse(launched.env?.OPENCODE_CONFIG_CONTENT ?? '')).toEqual({
      mcp: { ao: { type: 'local', command: ['/usr/bin/node', '/ao/bin.js', '--config', '/repo/agent-orchestrator.yaml', 'mcp', '--worker'], environment: { AO_HOME: '/data' }, enabled: true } },
    });
    const user = JSON.stringify({ model: 'anthropic/x', mcp: { mine: { type: 'remote', url: 'https://example.test/mcp' } } });
    expect(JSON.parse(opencodeMcpConfig(servers, user) ?? '')).toEqual({ model: 'anthropic/x', mcp: { mine: { type: 'remote', url: 'https://example.test/mcp' }, ao: expect.objectContaining({ type: 'local' }) } });
    expect(opencodeMcpConfig({}, user)).toBeUndefined();
    // No servers: the environment is the user's.
    expect((await (await agent()).launch({ sessionId: 'ao-1', workspacePath: workspace, prompt: 'x' })).env).toBeUndefined();
  });
});

describe('opencode activity', () => {
  it('is active while the screen changes or shows "esc interrupt", idle when quiet', async () => {
    const a = await agent();
    expect((await a.detectActivity(probe('  Build  claude-sonnet-4\n  ⠙ Working...  esc interrupt', 20_000))).activity).toBe('active');
    // OpenCode 1.18's screen after a turn (captured): its footer `ctrl+p commands` under the input box.
    const idle = readFileSync(join(import.meta.dirname, 'fixtures', 'opencode-idle.txt'), 'utf8');
    expect((await a.detectActivity(probe(idle, 800))).activity).toBe('active');
    expect(await a.detectActivity(probe(idle, 20_000))).toMatchObject({ activity: 'idle', source: 'screen' });
  });

  it('is idle on the start screen of a new conversation, where a tip sits under the footer', async () => {
    // OpenCode 1.18.33 started without a conversation (captured): the footer, a tip, the directory.
    const home = readFileSync(join(import.meta.dirname, 'fixtures', 'opencode-home.txt'), 'utf8');
    expect(await (await agent()).detectActivity(probe(home, 20_000))).toMatchObject({ activity: 'idle', detail: 'at its prompt' });
  });

  it('is waiting_input on a permission request', async () => {
    const screen = '△ Permission required\n  bash: rm -rf dist\n  Allow once   Allow always   Reject';
    expect((await (await agent()).detectActivity(probe(screen, 200))).activity).toBe('waiting_input');
  });

  it("reports the workspace's newest session id from OpenCode's storage", async () => {
    await sessionRecord('ses_old', workspace, 900_000); // before the ao session started
    await sessionRecord('ses_other', '/another/dir', 1_000);
    await sessionRecord('ses_child', workspace, 500, { parentID: 'ses_mine' }); // a subagent's session
    await sessionRecord('ses_mine', workspace, 5_000);
    expect((await (await agent()).detectActivity(probe('x'))).nativeSessionId).toBe('ses_mine');
  });

  it("reports the workspace's newest session id from OpenCode 1.x's database", async () => {
    await dbSessions([
      { id: 'ses_old', directory: workspace, ageMs: 900_000 }, // before the ao session started
      { id: 'ses_other', directory: '/another/dir', ageMs: 1_000 },
      { id: 'ses_child', directory: workspace, ageMs: 500, parentId: 'ses_mine' }, // a subagent's session
      { id: 'ses_mine', directory: workspace, ageMs: 5_000 },
    ]);
    // The JSON storage of an older OpenCode in the same data dir is not what 1.x resumes.
    await sessionRecord('ses_json', workspace, 1_000);
    expect((await (await agent()).detectActivity(probe('x'))).nativeSessionId).toBe('ses_mine');
  });

  it('finds no session id in a database without a conversation in the workspace', async () => {
    await dbSessions([{ id: 'ses_other', directory: '/another/dir', ageMs: 1_000 }]);
    expect((await (await agent()).detectActivity(probe('x'))).nativeSessionId).toBeUndefined();
  });

  it('says exited when the process is gone, with the conversation it had (for restore)', async () => {
    await dbSessions([{ id: 'ses_mine', directory: workspace, ageMs: 5_000 }]);
    expect(await (await agent()).detectActivity(probe('x', 0, false))).toMatchObject({ activity: 'exited', nativeSessionId: 'ses_mine' });
  });
});
