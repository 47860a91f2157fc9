/**
 * Kill and restore with the real agent CLIs (each at its pinned version, run by ao in tmux against a
 * scripted model server on loopback): the restored agent is launched with its own conversation id
 * (OpenCode's from its SQLite database) and the model sees the earlier conversation in the next
 * request; a message sent the moment `ao session restore` returns reaches the model (it used to be
 * typed into a TUI still starting, and lost). Then, with plain programs as agents: one that exits
 * while starting keeps its session, says why and is restored with its prompt; a message for a
 * restored agent that exits before it is ready fails with what it said.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmuxSessionName } from '@ao/plugin-runtime-tmux';
import type { AgentCliName } from '@ao/testkit/agent-clis';
import { createTempDir, createTempRepo, type TempDir } from '@ao/testkit/temp-repo';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runAoAsync } from './run-ao.js';
import { AGENT_PLUGINS, createRealAgentEnv, realAgentConfig, type RealAgentEnv } from './real-agent-env.js';

interface Case {
  cli: AgentCliName;
  agentConfig: string;
  /** The arguments that resume conversation `id`, as they appear in the agent's command line. */
  resume: (id: string) => string;
}

const CASES: Case[] = [
  { cli: 'opencode', agentConfig: '', resume: (id) => `--session ${id}` },
  { cli: 'codex', agentConfig: "agents:\n  codex: { plugin: codex, extraArgs: ['--no-daemon'] }\n", resume: (id) => `resume ${id}` },
  { cli: 'claude', agentConfig: '', resume: (id) => `--resume ${id}` },
];

interface Row {
  id: string;
  activity: string | null;
  activityDetail: string | null;
  nativeSessionId: string | null;
  status: string;
  workspacePath: string;
}

/** The command lines of a tmux session's processes (the pane's process and everything under it). */
function commandLines(tmuxDir: string, name: string): string[] {
  let root: string;
  try {
    root = execFileSync('tmux', ['list-panes', '-t', `=${name}:`, '-F', '#{pane_pid}'], { env: { ...process.env, TMUX_TMPDIR: tmuxDir }, encoding: 'utf8' }).trim();
  } catch {
    return [];
  }
  const procs = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: m[1] as string, ppid: m[2] as string, args: m[3] as string }));
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (tree.has(p.ppid) && !tree.has(p.pid)) (tree.add(p.pid), (grew = true));
  }
  return procs.filter((p) => tree.has(p.pid)).map((p) => p.args);
}

for (const c of CASES) {
  describe(`${c.cli} (real CLI): kill and restore`, () => {
    let real: RealAgentEnv;
    let id = '';
    const ao = (...args: string[]) => real.ao(...args);
    const row = async (): Promise<Row> => {
      const r = await ao('status', '--json');
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as Row[]).find((s) => s.id === id) as Row;
    };
    const screen = (): string => real.screen(id);

    beforeAll(async () => {
      real = await createRealAgentEnv({
        cli: c.cli,
        prefix: `ao-restore-${c.cli}-`,
        script: (turn) => {
          if (turn.tools.length === 0) return { text: 'Scripted title' };
          if (/which word/i.test(turn.newUserText)) return { text: 'The word was papaya.' };
          if (/papaya/.test(turn.newUserText)) return { text: 'Noted.' };
          return { text: 'Ready.' };
        },
      });
      await real.writeConfig(realAgentConfig(AGENT_PLUGINS[c.cli], c.agentConfig));
      const spawned = await ao('spawn', '--prompt', 'Remember the word papaya.', '--json');
      expect(spawned.code, spawned.stderr).toBe(0);
      id = (JSON.parse(spawned.stdout) as { id: string }).id;
      expect(real.readinessTimeouts()).toEqual([]);
    }, 600_000);

    afterAll(async () => {
      if (id) await ao('session', 'kill', id);
      await real?.cleanup();
    }, 60_000);

    it('the restored agent resumes its own conversation, and a message sent at once reaches the model', async () => {
      const { server, env } = real;
      await real.waitForTurn(id, (t) => t.tools.length > 0 && t.newUserText.includes('papaya'));
      // ao finds the CLI's conversation id (each `ao status` reads the agent's activity and its id).
      const before = await vi.waitFor(
        async () => {
          const s = await row();
          if (s.activity !== 'idle' || !s.nativeSessionId) throw new Error(`activity ${s.activity}, conversation ${s.nativeSessionId}; the screen:\n${screen()}`);
          return s;
        },
        { timeout: 120_000, interval: 500 },
      );
      const conversation = before.nativeSessionId as string;

      expect((await ao('session', 'kill', id)).code).toBe(0);
      const restored = await ao('session', 'restore', id);
      expect(restored.code, restored.stderr).toBe(0);
      const sent = await ao('send', id, 'Which word did I ask you to remember?');
      expect(sent.code, `${sent.stderr}\nthe screen:\n${screen()}`).toBe(0);

      expect(commandLines(env.TMUX_TMPDIR as string, tmuxSessionName(env.AO_HOME as string, id)).join('\n')).toContain(c.resume(conversation));
      const asked = await real.waitForTurn(id, (t) => t.tools.length > 0 && /which word/i.test(t.newUserText));
      // The earlier conversation is in the request: the prompt and the model's answer to it.
      const request = JSON.stringify(asked.body);
      expect(request).toContain('Remember the word papaya.');
      expect(request).toContain('Noted.');
      expect((await row()).nativeSessionId).toBe(conversation);
    }, 300_000);
  });
}

describe('agents that exit while starting (plain programs as agents, in tmux)', () => {
  let dir: TempDir;
  let repo: { path: string; cleanup(): Promise<void> };
  let env: Record<string, string>;
  const ao = (...args: string[]) => runAoAsync(args, { cwd: repo.path, env });
  const configure = (agent: string) =>
    writeFile(join(repo.path, 'agent-orchestrator.yaml'), `defaults:\n  runtime: tmux\n  agent: probe\nprojects:\n  app:\n    path: .\n    defaultBranch: main\nagents:\n  probe: ${agent}\n`);
  const rows = async (): Promise<Row[]> => JSON.parse((await ao('status', '--json')).stdout) as Row[];
  const screenOf = (id: string): string => {
    try {
      return execFileSync('tmux', ['capture-pane', '-p', '-t', `=${tmuxSessionName(env.AO_HOME as string, id)}:`], { env: { ...process.env, TMUX_TMPDIR: env.TMUX_TMPDIR }, encoding: 'utf8' });
    } catch (error) {
      return String(error);
    }
  };

  beforeEach(async () => {
    dir = await createTempDir('ao-exit-start-');
    repo = await createTempRepo({ branch: 'main', files: { 'README.md': '# app\n' } });
    env = { AO_HOME: join(dir.path, 'ao'), TMUX_TMPDIR: join(dir.path, 'tmux'), NO_COLOR: '1' };
    await mkdir(env.TMUX_TMPDIR as string, { recursive: true });
  });
  afterEach(async () => {
    for (const s of await rows().catch(() => [])) await ao('session', 'kill', s.id);
    try {
      execFileSync('tmux', ['kill-server'], { env: { ...process.env, TMUX_TMPDIR: env.TMUX_TMPDIR }, stdio: 'ignore' });
    } catch {
      // no server left
    }
    await repo.cleanup();
    await dir.cleanup();
  });

  it('spawn shows its last lines and how to fix it, keeps the session, and restore gives it the prompt', async () => {
    await configure(`{ command: [sh, -c, "echo 'Loading config'; echo 'Error: SCRIPTED_API_KEY is invalid'; echo 'see --help'; exit 3"], prompt: send }`);
    const spawned = await ao('spawn', '--prompt', 'Fix the parser');
    expect(spawned.code).toBe(1);
    const [s] = await rows();
    expect(s).toMatchObject({ status: 'working', activity: 'exited', activityDetail: 'the agent exited; its last words: Error: SCRIPTED_API_KEY is invalid' });
    const id = s?.id as string;
    expect(spawned.stderr).toContain(`The probe agent of ${id} exited while starting; its last lines:\n  Loading config\n  Error: SCRIPTED_API_KEY is invalid\n  see --help\n`);
    expect(spawned.stderr).toContain(`then \`ao session restore ${id}\`: the session and its workspace are kept, and the prompt is typed in when it starts`);
    expect(existsSync(s?.workspacePath as string)).toBe(true);
    expect((await ao('status', '--attention')).stdout).toContain(`! ${id}  crashed  the agent exited; its last words: Error: SCRIPTED_API_KEY is invalid (ao session restore ${id})`);

    // Fixed, it is restored where it was and gets the prompt it never had.
    await configure(`{ command: [sh, -c, 'echo ready; while read -r l; do echo "got: $l"; done'], prompt: send }`);
    const restored = await ao('session', 'restore', id);
    expect(restored.code, restored.stderr).toBe(0);
    await vi.waitFor(() => expect(screenOf(id)).toContain('got: Fix the parser'), { timeout: 20_000, interval: 100 });
    // Delivered once: a second restore does not type it again.
    expect((await ao('session', 'kill', id)).code).toBe(0);
    expect((await ao('session', 'restore', id)).code).toBe(0);
    await vi.waitFor(() => expect(screenOf(id)).toContain('ready'), { timeout: 20_000, interval: 100 });
    expect(await ao('send', id, 'next')).toMatchObject({ code: 0 });
    await vi.waitFor(() => expect(screenOf(id)).toContain('got: next'), { timeout: 20_000, interval: 100 });
    expect(screenOf(id)).not.toContain('got: Fix the parser');
  });

  it('a message for a restored agent that exits before it is ready fails with what it said, and is not typed into it', async () => {
    await configure(`{ command: [sh, -c, 'echo ready; while read -r l; do echo "got: $l"; done'], prompt: send }`);
    const spawned = await ao('spawn', '--prompt', 'Fix the parser');
    expect(spawned.code, spawned.stderr).toBe(0);
    const id = spawned.stdout.trim().split('\n').pop()?.trim() as string;
    expect((await ao('session', 'kill', id)).code).toBe(0);
    // Never at its prompt (`idlePattern`), and gone once it read what was typed while it started.
    await configure(`{ command: [sh, -c, "echo 'Starting…'; read -r l; echo \\"Error: lost $l\\"; exit 2"], prompt: send, idlePattern: '^> $' }`);
    expect((await ao('session', 'restore', id)).code).toBe(0);
    const send = ao('send', id, 'hello');
    // The message waits (ao's log says so) and nothing is typed while the agent starts: the line it
    // reads is the one given by hand.
    await vi.waitFor(async () => expect(await readFile(join(env.AO_HOME as string, 'logs', 'ao.log'), 'utf8')).toContain('message waits for the restored agent to be ready'), {
      timeout: 20_000,
      interval: 100,
    });
    expect(screenOf(id)).toContain('Starting…');
    execFileSync('tmux', ['send-keys', '-t', `=${tmuxSessionName(env.AO_HOME as string, id)}:`, 'by hand', 'Enter'], { env: { ...process.env, TMUX_TMPDIR: env.TMUX_TMPDIR } });
    const r = await send;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Session ${id}'s agent exited before it could take the message (the agent exited; its last words: Error: lost by hand)`);
    expect(r.stderr).toContain(`ao session restore ${id}`);
    expect(screenOf(id)).not.toContain('hello');
  });
});
