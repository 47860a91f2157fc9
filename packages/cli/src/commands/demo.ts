import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AoError, createSessionStore, readDaemonInfo, resolvePaths, type Session } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { writeDemoFixture } from '../demo/fixture.js';
import { color, print } from '../render.js';

interface DemoFlags {
  keep?: boolean;
  timeout?: string;
}

const DONE: readonly Session['status'][] = ['merged', 'done'];

/**
 * `ao demo`: the whole loop on a throw-away repo with two scripted agents — issues, spawn, local PR,
 * CI failing and the failure sent back, the fix, reviews, merges — then a summary. Leaves no
 * processes behind (and no files unless --keep).
 */
export async function run([opts]: unknown[], _globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as DemoFlags;
  const timeoutMs = Number(flags.timeout ?? 90) * 1000;
  // The scripted agents are @ao/demo-agent, shipped built with the CLI: nothing is built here.
  const { demoAgentArgv } = await import('@ao/demo-agent');
  const root = mkdtempSync(join(tmpdir(), 'ao-demo-'));
  const fx = writeDemoFixture(root, demoAgentArgv());
  const env = { ...process.env, AO_HOME: fx.home, NO_COLOR: process.env.NO_COLOR ?? '' };
  const paths = resolvePaths(env);
  const aoBin = process.argv[1] as string;
  const ao = (...args: string[]): string => {
    const r = spawnSync(process.execPath, [aoBin, ...args], { cwd: fx.repo, env, encoding: 'utf8' });
    if (r.status !== 0) throw new AoError('EXEC_FAILED', `ao ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout.trim();
  };
  const t0 = Date.now();
  const at = (): string => color.dim(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`);
  const step = (text: string): void => print(`${at()} ${text}`);
  let ok = false;
  try {
    step(`throw-away repo ${fx.repo} (data dir ${fx.home})`);
    ao('issue', 'new', 'Add subtract()', '--body', 'Add src/subtract.js exporting (a, b) => a - b, with a test in test/.');
    ao('issue', 'new', 'Add multiply()', '--body', 'Add src/multiply.js exporting (a, b) => a * b, with a test in test/.');
    step('created issues #1 "Add subtract()" and #2 "Add multiply()" in .ao/issues/');
    ao('start', '--no-orchestrator');
    const daemon = readDaemonInfo(paths);
    step(`daemon started${daemon ? `: dashboard ${daemon.url}/?token=${daemon.token}` : ''}`);
    const a = ao('spawn', '1', '--agent', 'careful');
    const b = ao('spawn', '2', '--agent', 'hasty');
    step(`spawned ${a} (careful agent, issue #1) and ${b} (hasty agent, issue #2)`);

    const store = createSessionStore(paths);
    // Narrated from the event logs, not from snapshots, so no transition is missed however busy
    // the machine is: every status change, CI result and message ao sent shows, in order.
    const shown = new Map<string, { events: number; status?: string; pr?: Session['pr'] }>();
    const approved = new Set<string>();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { sessions } = await store.list('calc');
      for (const s of sessions) {
        const seen = shown.get(s.id) ?? { events: 0 };
        const events = await store.events('calc', s.id);
        for (const e of events.slice(seen.events)) {
          const set = (e.set ?? {}) as Partial<Session>;
          const ciBefore = seen.pr?.ci;
          if (set.pr !== undefined) seen.pr = set.pr;
          const pr = seen.pr;
          if (set.status !== undefined && set.status !== seen.status) {
            seen.status = set.status;
            if (set.status !== 'spawning') step(`${s.id} ${color.bold(set.status)}${pr ? ` (PR #${pr.id}${pr.ci ? `, CI ${pr.ci}` : ''})` : ''}`);
          } else if (pr?.ci && pr.ci !== ciBefore) {
            step(`${s.id} CI ${pr.ci === 'failing' ? color.red('failing') : pr.ci}`);
          }
          // What ao itself did: reactions, and what they sent to an agent.
          if (e.type === 'message.sent' && !e.data?.initial) step(`${s.id} ← ao sent the agent: "${String(e.data?.preview ?? '').slice(0, 70)}"`);
          if (e.type === 'reaction.done' && typeof e.data?.reaction === 'string') step(color.dim(`${s.id} reaction ${e.data.reaction} done`));
        }
        seen.events = events.length;
        shown.set(s.id, seen);
        // The demo plays the human reviewer: approve once CI is green.
        if (s.pr && s.pr.ci === 'passing' && s.pr.review !== 'approved' && !approved.has(s.id) && !DONE.includes(s.status)) {
          approved.add(s.id);
          ao('review', s.id, 'approve', '-m', 'Looks good to me');
          step(`${s.id} review: approved (as you would with \`ao review ${s.id} approve\`)`);
        }
      }
      if (sessions.length >= 2 && sessions.every((s) => DONE.includes(s.status))) break;
      if (Date.now() > deadline) {
        throw new AoError('EXEC_FAILED', `the demo did not finish within ${timeoutMs / 1000} s: ${sessions.map((s) => `${s.id}=${s.status}`).join(', ')} (data kept in ${root})`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }

    const log = spawnSync('git', ['-C', fx.repo, 'log', '--oneline', '--graph', 'main'], { encoding: 'utf8' }).stdout.trim();
    print();
    print(color.green(`✓ both changes merged in ${((Date.now() - t0) / 1000).toFixed(1)} s`));
    const { sessions } = await store.list('calc');
    for (const s of sessions) {
      const events = await store.events('calc', s.id);
      const sends = events.filter((e) => e.type === 'message.sent').length;
      print(`  ${s.id}  issue #${s.issue}  ${s.status}  spawn ${s.spawnMs} ms  messages sent ${sends}`);
    }
    print(color.dim(`main now:\n${log.split('\n').map((l) => `  ${l}`).join('\n')}`));
    ok = true;
    return 0;
  } finally {
    // No processes left behind: the agents' terminals and the daemon.
    const { sessions } = await createSessionStore(paths).list().catch(() => ({ sessions: [] as Session[] }));
    for (const s of sessions) spawnSync(process.execPath, [aoBin, 'session', 'kill', s.id], { cwd: fx.repo, env, stdio: 'ignore' });
    spawnSync(process.execPath, [aoBin, 'stop', '--force'], { cwd: fx.repo, env, stdio: 'ignore' });
    if (flags.keep || !ok) print(color.dim(`kept ${root}`));
    else rmSync(root, { recursive: true, force: true });
  }
}
