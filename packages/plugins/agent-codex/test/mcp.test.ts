// MCP servers for a Codex session (the orchestrator gets ao's own) go on its command line as
// `-c mcp_servers.<name>.…` overrides. Checked with the real Codex 0.171.0: `codex <those args>
// mcp list --json` lists the server exactly as given, paths with spaces and the env included.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPluginContext } from '@ao/core/plugin';
import { ensureAgentClis } from '@ao/testkit/agent-clis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';

let root: string;
beforeAll(async () => {
  // Codex refuses to set up its helpers under /tmp; a directory under HOME works like a user's.
  await mkdir(join(homedir(), '.cache'), { recursive: true });
  root = await mkdtemp(join(homedir(), '.cache', 'ao-codex-mcp-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('codex launch with MCP servers', () => {
  it('passes each server as -c overrides that the real Codex reads as mcp_servers', async () => {
    const ctx = createPluginContext({ configDir: root, env: { HOME: root, AO_HOME: join(root, 'ao') } });
    const agent = await plugin.create(plugin.configSchema.parse({}), ctx);
    const spec = { command: process.execPath, args: ['/opt/ao/bin.js', '--config', '/work/my repo/agent-orchestrator.yaml', 'mcp'], env: { AO_HOME: '/home/me/.ao "x"' } };
    const launch = await agent.launch({ sessionId: 'app-1', workspacePath: root, prompt: 'plan', mcpServers: { ao: spec } });
    expect(launch.argv[0]).toBe('codex');
    expect(launch.initialInput).toBe('plan');

    const bin = await ensureAgentClis();
    const codexHome = join(root, 'codex-home');
    await mkdir(codexHome, { recursive: true });
    const { stdout } = await promisify(execFile)(join(bin, 'codex'), [...launch.argv.slice(1), 'mcp', 'list', '--json'], {
      env: { ...process.env, HOME: root, CODEX_HOME: codexHome },
      timeout: 60_000,
    });
    const servers = JSON.parse(stdout) as { name: string; transport: { command: string; args: string[]; env: Record<string, string> } }[];
    expect(servers).toHaveLength(1);
    expect(servers[0]).toMatchObject({ name: 'ao', transport: { command: spec.command, args: spec.args, env: spec.env } });
  }, 600_000);

  it('adds nothing without MCP servers', async () => {
    const ctx = createPluginContext({ configDir: root, env: { HOME: root } });
    const launch = await (await plugin.create(plugin.configSchema.parse({ trustWorkspace: false }), ctx)).launch({ sessionId: 'app-2', workspacePath: root });
    expect(launch.argv).toEqual(['codex']);
  });
});
