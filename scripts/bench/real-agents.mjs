// Benchmark: `ao spawn` with the real agent CLIs (Claude Code, Codex, OpenCode at their pinned
// versions, each against a scripted model server on loopback), from the command to the model
// receiving the prompt, against the same CLI run by hand in the same run: started alone in a tmux
// session, the prompt typed the moment its input box shows (as its agent plugin reads the screen),
// Enter pressed until the model has it. What ao adds is the worktree, its tmux session, waiting
// for the CLI's screen to settle at its prompt, and the paste. Target: within the by-hand figure
// + 2 s (p95).
// A spawn that waits out ao's 60 s readiness timeout (as every Codex spawn did while ao took the
// braille logo of its start screen for a spinner) shows here as ~60 s.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, summarize } from './lib.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');
const { ensureAgentClis, writeAgentHome } = await import(join(root, 'packages/testkit/dist/agent-clis.js'));
const servers = await import(join(root, 'packages/testkit/dist/model-servers/index.js'));
const { readClaudeInput } = await import(join(root, 'packages/plugins/agent-claude-code/dist/index.js'));
const { readCodexInput } = await import(join(root, 'packages/plugins/agent-codex/dist/index.js'));
const { readOpencodeInput } = await import(join(root, 'packages/plugins/agent-opencode/dist/index.js'));

const CLIS = {
  claude: { plugin: 'claude-code', server: servers.startAnthropicServer, readInput: readClaudeInput, config: '' },
  codex: { plugin: 'codex', server: servers.startResponsesServer, readInput: readCodexInput, config: "agents:\n  codex: { plugin: codex, extraArgs: ['--no-daemon'] }\n", argv: ['--no-daemon'] },
  opencode: { plugin: 'opencode', server: servers.startChatCompletionsServer, readInput: readOpencodeInput, config: '' },
};
const runs = Number(process.env.BENCH_RUNS ?? 3);
const only = process.argv.slice(2);
const BUDGET_MS = 2_000;
const binDir = await ensureAgentClis();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 50 ms until it is true; the elapsed ms since `t0` (hrtime) then. */
async function until(check, t0, what, timeoutMs = 120_000) {
  for (;;) {
    if (await check()) return Number(process.hrtime.bigint() - t0) / 1e6;
    if (Number(process.hrtime.bigint() - t0) / 1e6 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

let failed = false;
console.log(`real agent CLIs: start to the model having the prompt, by hand and by ao spawn (${runs} runs each, median / p95)`);
for (const [cli, c] of Object.entries(CLIS)) {
  if (only.length && !only.includes(cli)) continue;
  const own = [];
  const viaAo = [];
  for (let i = 0; i < runs; i++) {
    const work = mkdtempSync(join(tmpdir(), `ao-bench-${cli}-`));
    const marker = `bench task ${i} ${Date.now()}`;
    const server = await c.server((turn) => ({ text: turn.tools.length ? 'Done.' : 'Title' }));
    try {
      const repo = join(work, 'repo');
      execFileSync('git', ['init', '-q', '-b', 'main', repo]);
      writeFileSync(join(repo, 'README.md'), '# app\n');
      execFileSync('git', ['-C', repo, 'add', '.']);
      execFileSync('git', ['-C', repo, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'init']);
      const aoHome = join(work, 'ao');
      const tmuxDir = join(work, 'tmux');
      mkdirSync(tmuxDir);
      const agentEnv = await writeAgentHome(cli, { home: join(work, 'home'), modelUrl: server.url, trusted: [join(aoHome, 'worktrees'), repo] });
      const env = { ...process.env, ...agentEnv, AO_HOME: aoHome, TMUX_TMPDIR: tmuxDir, PATH: `${binDir}:${process.env.PATH}`, NO_COLOR: '1' };

      // The CLI alone, as a person would run it: started in tmux, the prompt typed in the moment its
      // input box shows, Enter pressed (again each second, should the CLI drop it) until the model has it.
      const envArgs = Object.entries(agentEnv).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      const bare = `${marker} (by hand)`;
      const tmux = (...args) => spawnSync('tmux', args, { env, encoding: 'utf8' });
      let t0 = process.hrtime.bigint();
      tmux('new-session', '-d', '-s', 'bare', '-x', '200', '-y', '50', '-c', repo, ...envArgs, '-e', `PATH=${env.PATH}`, '--', cli, ...(c.argv ?? []));
      await until(() => c.readInput(tmux('capture-pane', '-p', '-t', '=bare:').stdout ?? '') !== undefined, t0, `${cli}'s input box`);
      tmux('send-keys', '-t', '=bare:', '-l', bare);
      let pressed = 0;
      own.push(
        await until(() => {
          if (server.turns.some((t) => t.tools.length > 0 && t.newUserText.includes(bare))) return true;
          if (pressed++ % 20 === 0) tmux('send-keys', '-t', '=bare:', 'Enter');
          return false;
        }, t0, `the model to receive ${cli}'s prompt typed by hand`),
      );
      tmux('kill-session', '-t', '=bare');

      // ao: from the command to the model's first request with the prompt in it.
      writeFileSync(join(repo, 'agent-orchestrator.yaml'), `defaults:\n  runtime: tmux\n  agent: ${c.plugin}\nprojects:\n  app:\n    path: .\n    defaultBranch: main\n${c.config}`);
      t0 = process.hrtime.bigint();
      const spawned = spawnSync(process.execPath, [bin, 'spawn', '--prompt', marker, '--json'], { cwd: repo, env, encoding: 'utf8' });
      if (spawned.status !== 0) throw new Error(`ao spawn failed: ${spawned.stderr}`);
      viaAo.push(await until(() => server.turns.some((t) => t.tools.length > 0 && t.newUserText.includes(marker)), t0, `the model to receive ${cli}'s prompt`));
      spawnSync(process.execPath, [bin, 'session', 'kill', JSON.parse(spawned.stdout).id], { cwd: repo, env, stdio: 'ignore' });
    } finally {
      spawnSync('tmux', ['kill-server'], { env: { ...process.env, TMUX_TMPDIR: join(work, 'tmux') }, stdio: 'ignore' });
      await server.close();
      // OpenCode's background work may still be writing its snapshot for a moment after it is killed.
      for (let tries = 0; ; tries++) {
        try {
          rmSync(work, { recursive: true, force: true });
          break;
        } catch (error) {
          if (tries >= 50) throw error;
          await sleep(200);
        }
      }
    }
  }
  const o = summarize(own);
  const a = summarize(viaAo);
  const ok = a.p95 <= o.p95 + BUDGET_MS;
  failed ||= !ok;
  console.log(`  ${cli.padEnd(9)} by hand (baseline)             ${fmt(o.p50)} / ${fmt(o.p95)}`);
  console.log(`  ${''.padEnd(9)} ao spawn                       ${fmt(a.p50)} / ${fmt(a.p95)}   (target ≤ baseline + ${BUDGET_MS} ms) ${ok ? 'OK' : 'OVER TARGET'}`);
}
process.exitCode = failed ? 1 : 0;
