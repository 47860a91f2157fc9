import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { processArgvContaining } from '@ao/testkit/process-argv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAo } from './run-ao.js';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

// Stands in for the `claude` CLI: records its argv and the API key it was given, then every line typed into it.
const fakeClaude = (log: string): string => `#!${process.execPath}
const fs = require('node:fs');
const log = (entry) => fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(entry) + '\\n');
log({ type: 'started', argv: process.argv.slice(2), key: process.env.MY_API_KEY ?? null });
process.stdout.write('fake claude\\n> ');
process.stdin.on('data', (d) => log({ type: 'typed', text: String(d) }));
`;

let env: SessionEnv;
let socketDir: string;
let aoEnv: Record<string, string>;
let log: string;
beforeEach(async () => {
  env = await createSessionEnv();
  // A tmux server of our own: the spawn below starts it, so its argv is the spawn's new-session.
  socketDir = mkdtempSync(join(tmpdir(), 'ao-argv-sock-'));
  const bin = join(env.home, '..', 'bin');
  mkdirSync(bin, { recursive: true });
  log = join(env.home, '..', 'claude.jsonl');
  writeFileSync(join(bin, 'claude'), fakeClaude(log));
  chmodSync(join(bin, 'claude'), 0o755);
  aoEnv = { AO_HOME: env.home, TMUX_TMPDIR: socketDir, PATH: `${bin}:${process.env.PATH ?? ''}`, AO_TEST_SECRET: `sk-${randomBytes(12).toString('hex')}` };
});
afterEach(async () => {
  try {
    execFileSync('tmux', ['kill-server'], { env: { ...process.env, TMUX_TMPDIR: socketDir }, stdio: 'ignore' });
  } catch {
    // no server left
  }
  rmSync(socketDir, { recursive: true, force: true });
  await env.cleanup();
});

const entries = (): Array<{ type: string; argv?: string[]; key?: string | null; text?: string }> =>
  existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];

describe('no secret and no prompt in any process argv', () => {
  it('ao spawn with claude-code and with an agent whose env holds a secret: both get key and prompt, ps shows neither', async () => {
    writeFileSync(
      join(env.repo, 'agent-orchestrator.yaml'),
      'defaults:\n  runtime: tmux\n  agent: claude-code\nprojects:\n  app:\n    path: .\n    defaultBranch: main\n' +
        'agents:\n  keyed: { command: [claude], prompt: send, env: { MY_API_KEY: "${AO_TEST_SECRET}" } }\n',
    );
    const first = `PROMPT-${randomBytes(6).toString('hex')} fix the login bug`;
    const second = `PROMPT-${randomBytes(6).toString('hex')} and the logout bug`;
    const a = runAo(['spawn', '--prompt', first], { cwd: env.repo, env: aoEnv });
    expect(a.stderr).toBe('');
    const b = runAo(['spawn', '--prompt', second, '--agent', 'keyed'], { cwd: env.repo, env: aoEnv });
    expect(b.stderr).toBe('');
    await until(() => entries().filter((e) => e.type === 'typed').length >= 2, 15_000, 'both prompts typed in');

    const started = entries().filter((e) => e.type === 'started');
    // Claude Code's only arguments are ao's messaging server for workers (paths, no key, no prompt);
    // the plain command agent gets none.
    expect(started.map((e) => e.argv)).toEqual([['--mcp-config', expect.any(String), '--allowedTools', 'mcp__ao'], []]);
    const mcp = JSON.parse(started[0]?.argv?.[1] ?? '') as { mcpServers: Record<string, { args: string[] }> };
    expect(mcp.mcpServers.ao?.args.slice(-2)).toEqual(['mcp', '--worker']);
    expect(started.map((e) => e.key)).toEqual([null, aoEnv.AO_TEST_SECRET]);
    const typed = entries().filter((e) => e.type === 'typed').map((e) => e.text ?? '');
    expect(typed.some((t) => t.includes(first))).toBe(true);
    expect(typed.some((t) => t.includes(second))).toBe(true);
    // Both agents still run; ps shows every local user nothing of the key or the prompts.
    expect(processArgvContaining([aoEnv.AO_TEST_SECRET as string, first, second])).toEqual([]);
  });
});
