import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeAgentArgv } from '@ao/testkit/fake-agent';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

let env: SessionEnv;
beforeEach(async () => {
  env = await createSessionEnv();
});
afterEach(async () => {
  try {
    env.ao('stop', '--force');
  } finally {
    // A daemon `ao stop` could not stop (the CLI itself failed) must not outlive the test.
    const info = join(env.home, 'daemon.json');
    if (existsSync(info)) {
      try {
        process.kill((JSON.parse(readFileSync(info, 'utf8')) as { pid: number }).pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await env.cleanup();
  }
});

interface Listed {
  id: string;
  status: string;
  activity: string | null;
  plan?: { id: string; step: string; item?: string; attempt?: number };
}
interface Plan {
  id: string;
  state: string;
  steps: { id: string; state: string; reason?: string; runs: { sessionId: string; item?: string; state: string; context: Record<string, unknown> }[] }[];
}
interface LogEntry {
  type: string;
  name?: string;
  message?: string;
  sha?: string;
  text?: string;
}

/**
 * `worker` writes `<prompt>.txt`, commits it and exits (the lifecycle then opens its PR); `quiet`
 * exits at once with nothing to merge. The task template is the bare prompt, so the prompt is the
 * file name. Autopilot: an approved, green PR is merged by the lifecycle.
 */
function configure(extra = ''): void {
  const scenarios = {
    worker: { steps: [{ write: { path: '{{input}}.txt', content: '{{input}}\n' } }, { commit: 'step {{input}}' }, { exit: 0 }] },
    quiet: { steps: [{ print: 'nothing to change' }, { exit: 0 }] },
  };
  const agents = Object.entries(scenarios).map(([name, scenario]) => {
    const file = join(env.home, '..', `${name}.json`);
    writeFileSync(file, JSON.stringify(scenario));
    return `  ${name}: { command: ${JSON.stringify(fakeAgentArgv(['--log', env.log, '--scenario', file, '--name', name]))}, prompt: arg }`;
  });
  writeFileSync(
    join(env.repo, 'agent-orchestrator.yaml'),
    ['defaults:', '  runtime: tmux', '  agent: worker', 'projects:', '  app:', '    path: .', '    defaultBranch: main', 'agents:', ...agents, 'autonomy: autopilot', 'prompts:', '  task: "{{prompt}}"', 'dashboard:', '  port: 0', extra].join('\n'),
  );
  if (existsSync(join(env.repo, '.gitignore'))) return;
  writeFileSync(join(env.repo, '.gitignore'), 'agent-orchestrator.yaml\n*.plan.yaml\n');
  execFileSync('git', ['-C', env.repo, 'add', '.gitignore']);
  execFileSync('git', ['-C', env.repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'ignore']);
}

const json = <T>(...args: string[]): T => {
  const r = env.ao(...args);
  if (r.code !== 0) throw new Error(`ao ${args.join(' ')} failed (${r.code}): ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};
const sessions = (): Listed[] => json<Listed[]>('session', 'ls', '--json');
const plan = (id: string): Plan => json<Plan>('plan', 'show', id, '--json');
const stepStates = (id: string): Record<string, string> => Object.fromEntries(plan(id).steps.map((s) => [s.id, s.state]));
const agentLog = (): LogEntry[] => (existsSync(env.log) ? readFileSync(env.log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogEntry) : []);
const commitOf = (step: string): string => {
  const entry = agentLog().find((e) => e.type === 'committed' && e.message === `step ${step}`);
  if (!entry?.sha) throw new Error(`no commit for step ${step}`);
  return entry.sha;
};
const isAncestor = (ancestor: string, of: string): boolean => {
  try {
    execFileSync('git', ['-C', env.repo, 'merge-base', '--is-ancestor', ancestor, of]);
    return true;
  } catch {
    return false;
  }
};
const writePlan = (name: string, yaml: string): string => {
  const file = join(env.repo, `${name}.plan.yaml`);
  writeFileSync(file, yaml);
  return file;
};
const runPlan = (file: string): string => {
  const r = env.ao('plan', 'run', file);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
};

/**
 * One tick at a time, as the daemon would run them: wait until every started agent has exited
 * (the scenarios are short), `ao lifecycle poll` (PRs, merges, plans, admission), and approve
 * every PR waiting for review. Until `done` holds.
 */
async function drive(done: () => boolean, ticks = 40): Promise<void> {
  for (let i = 0; i < ticks; i++) {
    if (done()) return;
    await until(() => sessions().every((s) => s.status !== 'working' || s.activity === 'exited'), 20_000, 'agents to finish');
    const r = env.ao('lifecycle', 'poll');
    if (r.code !== 0) throw new Error(`poll failed: ${r.stdout}${r.stderr}`);
    for (const s of sessions().filter((x) => x.status === 'review_pending')) expect(env.ao('review', s.id, 'approve').code).toBe(0);
  }
  if (!done()) throw new Error('the plan did not finish');
}

describe('ao plan', () => {
  it('a diamond: B and C start after A merged, D after both, each on top of the merged work of its dependencies', async () => {
    configure('limits:\n  maxConcurrentSessions: 4\n');
    const file = writePlan(
      'diamond',
      ['name: diamond', 'steps:', '  - id: a', '    prompt: a', '  - id: b', '    dependsOn: [a]', '    prompt: b', '  - id: c', '    dependsOn: [a]', '    prompt: c', '  - id: d', '    dependsOn: [b, c]', '    prompt: d', ''].join('\n'),
    );
    const dry = env.ao('plan', 'run', file, '--dry-run');
    expect(dry.stdout).toContain('valid; 4 step(s) in project app, in order: a, b, c, d');
    expect(sessions()).toEqual([]);

    const id = runPlan(file);
    expect(id).toBe('diamond-1');
    // Plans only queue: A waits for the daemon (or a poll) to admit it; B, C, D wait for A.
    expect(stepStates(id)).toEqual({ a: 'queued', b: 'pending', c: 'pending', d: 'pending' });
    expect(sessions().map((s) => [s.status, s.plan?.step])).toEqual([['queued', 'a']]);

    await drive(() => plan(id).state === 'done');
    expect(stepStates(id)).toEqual({ a: 'merged', b: 'merged', c: 'merged', d: 'merged' });
    // Each step's session started on a main that already had its dependencies merged.
    expect(isAncestor(commitOf('a'), commitOf('b'))).toBe(true);
    expect(isAncestor(commitOf('a'), commitOf('c'))).toBe(true);
    expect(isAncestor(commitOf('b'), commitOf('d'))).toBe(true);
    expect(isAncestor(commitOf('c'), commitOf('d'))).toBe(true);
    expect(isAncestor(commitOf('b'), commitOf('c')) || isAncestor(commitOf('c'), commitOf('b'))).toBe(false);
    // One session per step, each started once.
    expect(sessions().map((s) => s.plan?.step).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(agentLog().filter((e) => e.type === 'started')).toHaveLength(4);
    const shown = env.ao('plan', 'show', id);
    expect(shown.stdout).toMatch(/^diamond-1 done/);
    expect(shown.stdout).toMatch(/d\s+b, c\s+merged app-\d/);
  }, 240_000);

  it('map and reduce: one session per item, then a step that gets their results; the context each start saw', async () => {
    configure();
    const file = writePlan(
      'mapreduce',
      [
        'name: map reduce',
        'context: { service: auth }',
        'steps:',
        '  - id: tests',
        '    foreach: [unit, e2e]',
        '    prompt: "{{plan.context.service}}-{{item}}"',
        '  - id: review',
        '    dependsOn: [tests]',
        '    agent: quiet',
        '    prompt: "Review for {{plan.context.service}}:\\n{{steps.tests.summary}}"',
        '',
      ].join('\n'),
    );
    const id = runPlan(file);
    expect(sessions().map((s) => s.plan?.item).sort()).toEqual(['e2e', 'unit']);
    expect(env.ao('plan', 'ctx', 'set', id, 'service', 'billing').code).toBe(0);

    await drive(() => plan(id).state === 'done');
    expect(stepStates(id)).toEqual({ tests: 'merged', review: 'done' });
    expect(existsSync(join(env.repo, 'auth-unit.txt')) || agentLog().some((e) => e.message === 'step auth-unit')).toBe(true);
    const review = agentLog().filter((e) => e.type === 'received' && e.name === 'quiet').map((e) => e.text ?? '');
    expect(review).toHaveLength(1);
    expect(review[0]).toMatch(/^Review for billing:\n/);
    expect(review[0]).toMatch(/- unit: merged \(PR #\d+\), session app-\d/);
    expect(review[0]).toMatch(/- e2e: merged \(PR #\d+\), session app-\d/);
    const p = plan(id);
    expect(p.steps[0]?.runs.map((r) => r.context)).toEqual([{ service: 'auth' }, { service: 'auth' }]);
    expect(p.steps[1]?.runs.map((r) => r.context)).toEqual([{ service: 'billing' }]);
    expect(env.ao('plan', 'show', id, '--context').stdout).toContain('review attempt 1');
  }, 240_000);

  it('conditional: a failed step skips what needs it merged and starts what runs on failure', async () => {
    configure();
    const file = writePlan(
      'conditional',
      ['name: conditional', 'steps:', '  - id: api', '    prompt: api', '  - id: tests', '    dependsOn: [api]', '    prompt: tests', '  - id: docs', '    dependsOn: [api]', '    when: failed', '    agent: quiet', '    prompt: "api failed: {{steps.api.summary}}"', '  - id: after-tests', '    dependsOn: [tests]', '    when: always', '    agent: quiet', '    prompt: wrap up', ''].join('\n'),
    );
    const id = runPlan(file);
    const api = sessions()[0]!.id;
    expect(env.ao('lifecycle', 'poll').code).toBe(0); // admitted
    expect(env.ao('session', 'kill', api).code).toBe(0);
    await drive(() => plan(id).state !== 'running');
    const p = plan(id);
    expect(Object.fromEntries(p.steps.map((s) => [s.id, s.state]))).toEqual({ api: 'failed', tests: 'skipped', docs: 'done', 'after-tests': 'done' });
    expect(p.steps.find((s) => s.id === 'tests')?.reason).toBe('api ended failed, and this step runs when its dependencies are merged');
    expect(p.state).toBe('failed');
    expect(sessions().map((s) => s.plan?.step).sort()).toEqual(['after-tests', 'api', 'docs']);
  }, 240_000);

  it('refuses an invalid plan before anything starts, naming the file, line and cycle', () => {
    configure();
    const cycle = writePlan(
      'cycle',
      ['name: cycle', 'steps:', '  - id: schema', '    prompt: s', '  - id: api', '    dependsOn: [schema, tests]', '    prompt: a', '  - id: tests', '    dependsOn: [api]', '    prompt: t', ''].join('\n'),
    );
    const r = env.ao('plan', 'run', cycle);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Invalid plan ${cycle}:6:5 steps[1].dependsOn: steps form a cycle: api -> tests -> api`);

    const bad = (lines: string[]): string => env.ao('plan', 'run', writePlan('bad', ['name: bad', 'steps:', ...lines, ''].join('\n'))).stderr;
    expect(bad(['  - id: a', '    prompt: x', '  - id: a', '    prompt: y'])).toMatch(/bad\.plan\.yaml:5:5 steps\[1\]\.id: duplicate step id "a" \(first at .*bad\.plan\.yaml:3:5\)/);
    expect(bad(['  - id: a', '    dependsOn: [nope]', '    prompt: x'])).toMatch(/bad\.plan\.yaml:4:17 steps\[0\]\.dependsOn\[0\]: unknown step "nope" in dependsOn/);
    expect(bad(['  - id: a', '    agent: nobody', '    prompt: x'])).toMatch(/bad\.plan\.yaml:4:5 steps\[0\]\.agent: unknown agent "nobody"/);
    expect(bad(['  - id: a', '    prompt: "{{steps.zzz.summary}}"'])).toMatch(/uses \{\{steps\.zzz\.summary\}\}, which is not available/);
    configure('plans:\n  maxSteps: 1\n');
    expect(bad(['  - id: a', '    prompt: x', '  - id: b', '    prompt: y'])).toMatch(/steps: 2 steps, and plans\.maxSteps is 1/);
    expect(sessions()).toEqual([]);
    expect(json<unknown[]>('plan', 'ls', '--json')).toEqual([]);
  });

  it('kill -9 of the daemon mid-plan: after a restart the plan goes on, no step started twice', async () => {
    configure('lifecycle:\n  pollIntervalMs: 200\n');
    const id = runPlan(writePlan('twostep', ['name: two step', 'steps:', '  - id: first', '    prompt: first', '  - id: second', '    dependsOn: [first]', '    prompt: second', ''].join('\n')));
    expect(env.ao('start', '--no-orchestrator').code).toBe(0);
    // The daemon admits the first step; its agent commits and exits; the daemon opens its PR.
    await until(() => sessions().some((s) => s.plan?.step === 'first' && s.status === 'review_pending'), 30_000, 'the first PR');
    const { pid } = JSON.parse(readFileSync(join(env.home, 'daemon.json'), 'utf8')) as { pid: number };
    process.kill(pid, 'SIGKILL');
    await until(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 10_000, 'the daemon to die');

    const first = sessions().find((s) => s.plan?.step === 'first')!;
    expect(env.ao('review', first.id, 'approve').code).toBe(0);
    expect(env.ao('start', '--no-orchestrator').code).toBe(0);
    await until(() => sessions().some((s) => s.plan?.step === 'second' && s.status === 'review_pending'), 30_000, 'the second PR');
    expect(env.ao('review', sessions().find((s) => s.plan?.step === 'second')!.id, 'approve').code).toBe(0);
    await until(() => plan(id).state === 'done', 30_000, 'the plan to finish');
    expect(sessions().map((s) => s.plan?.step).sort()).toEqual(['first', 'second']);
    expect(agentLog().filter((e) => e.type === 'started').map((e) => e.name)).toEqual(['worker', 'worker']);
    expect(agentLog().filter((e) => e.type === 'received').map((e) => e.text)).toEqual(['first', 'second']);
  }, 240_000);
});
