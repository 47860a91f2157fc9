import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeAgentArgv } from '@ao/testkit/fake-agent';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';
import type { AoResult } from './run-ao.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const FILE_NOTIFIER = join(ROOT, 'examples/plugin-notifier-file/index.js');
const CRASH_CHILD = fileURLToPath(new URL('./lifecycle-crash-child.mjs', import.meta.url));

/** CI of the test repo: passes when f.txt says "good". */
const CI_SCRIPT = `const fs = require('node:fs');
const text = fs.existsSync('f.txt') ? fs.readFileSync('f.txt', 'utf8') : '(missing)';
if (text.includes('good')) { console.log('ok f.txt'); process.exit(0); }
console.log('checking f.txt');
console.log('FAIL: f.txt says ' + JSON.stringify(text.trim()) + ', expected good');
process.exit(1);
`;

export interface LifecycleEnv extends SessionEnv {
  notifications(): { event: string; title: string; body: string; sessionId?: string; level: string }[];
  /** Writes the config: scenarios by agent name, plus extra top-level YAML and agents' own autonomy levels. */
  configure(agents: Record<string, unknown>, extra?: string, agentAutonomy?: Record<string, string>): void;
  poll(): AoResult;
  json<T>(...args: string[]): T;
  session(id: string): { status: string; activity: string | null; pr: { id: string; state: string; ci?: string; review?: string } | null; workspacePath: string };
  events(id: string): { type: string; key?: string; data?: Record<string, unknown> }[];
  waitForLog(type: string, count?: number, name?: string): Promise<void>;
  /** Runs one poll in a child that halts after `eventType` of `reaction`, then SIGKILLs it. */
  pollAndKill(eventType: string, reaction: string): Promise<void>;
}

export async function createLifecycleEnv(): Promise<LifecycleEnv> {
  const env = await createSessionEnv();
  writeFileSync(join(env.repo, 'ci.js'), CI_SCRIPT);
  writeFileSync(join(env.repo, '.gitignore'), 'agent-orchestrator.yaml\nnotifications.jsonl\n');
  execFileSync('git', ['-C', env.repo, 'add', 'ci.js', '.gitignore']);
  execFileSync('git', ['-C', env.repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'ci']);
  const notificationsFile = join(env.repo, 'notifications.jsonl');
  const configFile = join(env.repo, 'agent-orchestrator.yaml');
  const logEntries = () =>
    existsSync(env.log)
      ? readFileSync(env.log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; name?: string })
      : [];
  const lenv: LifecycleEnv = {
    ...env,
    configure(agents, extra = '', agentAutonomy = {}) {
      const lines = Object.entries(agents).map(([name, scenario]) => {
        const file = join(env.home, '..', `${name}.json`);
        writeFileSync(file, JSON.stringify(scenario));
        const level = agentAutonomy[name] ? `, autonomy: ${agentAutonomy[name]}` : '';
        return `  ${name}: { command: ${JSON.stringify(fakeAgentArgv(['--log', env.log, '--scenario', file, '--name', name]))}, prompt: arg${level} }`;
      });
      writeFileSync(
        configFile,
        [
          `plugins: [${JSON.stringify(FILE_NOTIFIER)}]`,
          'defaults:',
          '  runtime: tmux',
          `  agent: ${Object.keys(agents)[0]}`,
          '  scm: { plugin: local, ci: ["node", "ci.js"] }',
          '  notifiers: [{ plugin: file, path: notifications.jsonl }]',
          'projects:',
          '  app:',
          '    path: .',
          '    defaultBranch: main',
          'agents:',
          ...lines,
          extra,
        ].join('\n'),
      );
    },
    notifications: () =>
      existsSync(notificationsFile) ? readFileSync(notificationsFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [],
    poll() {
      const r = env.ao('lifecycle', 'poll');
      if (r.code !== 0) throw new Error(`ao lifecycle poll failed (${r.code}): ${r.stdout}${r.stderr}`);
      return r;
    },
    json<T>(...args: string[]): T {
      const r = env.ao(...args);
      if (r.code !== 0) throw new Error(`ao ${args.join(' ')} failed (${r.code}): ${r.stdout}${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
    session(id) {
      const all = lenv.json<{ id: string }[]>('session', 'ls', '--json');
      const s = all.find((x) => x.id === id);
      if (!s) throw new Error(`no session ${id}`);
      return s as never;
    },
    events(id) {
      return readFileSync(join(env.home, 'projects', 'app', 'sessions', `${id}.events.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    },
    async waitForLog(type, count = 1, name) {
      await until(() => logEntries().filter((e) => e.type === type && (!name || e.name === name)).length >= count, 20_000, `fake agent log: ${count}× ${type}`);
    },
    pollAndKill(eventType, reaction) {
      return new Promise((resolvePromise, reject) => {
        const child = spawn(process.execPath, [CRASH_CHILD, configFile, eventType, reaction], {
          cwd: env.repo,
          env: { ...process.env, AO_HOME: env.home },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`crash child never halted: ${out}${err}`));
        }, 30_000);
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('HALTED')) child.kill('SIGKILL');
          if (out.includes('FINISHED')) reject(new Error(`crash child finished without halting at ${eventType} ${reaction}`));
        });
        child.on('exit', (_code, signal) => {
          clearTimeout(timer);
          if (signal === 'SIGKILL' && out.includes('HALTED')) resolvePromise();
          else reject(new Error(`crash child exited (${signal ?? _code}): ${out}${err}`));
        });
      });
    },
  };
  return lenv;
}
