import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTempDir } from '@ao/testkit/temp-repo';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAo } from './run-ao.js';

let dir: { path: string; cleanup(): Promise<void> };
let home: string;
beforeEach(async () => {
  dir = await createTempDir('ao-cli-config-');
  home = join(dir.path, 'home');
});
afterEach(async () => {
  await dir.cleanup();
});

const write = (text: string, name = 'agent-orchestrator.yaml'): string => {
  const file = join(dir.path, name);
  writeFileSync(file, text);
  return file;
};
const ao = (...args: string[]) => runAo(args, { cwd: dir.path, env: { AO_HOME: home } });

const VALID = `projects:\n  app:\n    path: .\n    defaultBranch: main\n`;

describe('config errors name the file, the key path and what was expected', () => {
  it('missing config says how to create one', () => {
    const r = ao('config', 'show');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No agent-orchestrator.yaml found');
    expect(r.stderr).toContain('ao init');
  });

  it('--config pointing nowhere names the path', () => {
    const r = ao('--config', 'nope.yaml', 'config', 'show');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(dir.path, 'nope.yaml'));
  });

  it('YAML syntax error gives line and column', () => {
    const file = write('projects:\n  app:\n    path: .\n  bad: [unclosed\n');
    const r = ao('config', 'show');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`YAML syntax error in ${file}:\\d+:\\d+`));
  });

  it('unknown key names the key and lists the expected ones', () => {
    const file = write(`${VALID}    sesionPrefix: x\n`);
    const r = ao('config', 'show');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:5:5`);
    expect(r.stderr).toContain('projects.app.sesionPrefix');
    expect(r.stderr).toContain('unknown key "sesionPrefix"');
    expect(r.stderr).toContain('sessionPrefix');
  });

  it('wrong type names the path and the expected type', () => {
    const file = write(`${VALID}limits:\n  maxConcurrentSessions: lots\n`);
    const r = ao('config', 'show');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('limits.maxConcurrentSessions: expected number, received "lots"');
  });

  it('bad enum lists the allowed values', () => {
    write(`${VALID}autonomy: yolo\n`);
    const r = ao('config', 'show');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('autonomy: expected one of manual | copilot | autopilot');
  });

  it('unknown plugin name lists the available ones', () => {
    write(`${VALID}    runtime: screen\n`);
    const r = ao('config', 'show');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('projects.app.runtime');
    expect(r.stderr).toContain('unknown runtime plugin "screen"');
    expect(r.stderr).toMatch(/available: .*tmux/);
  });

  it('unset ${VAR} names the variable and where it is used', () => {
    write(`${VALID}    sessionPrefix: \${AO_TEST_UNSET_PREFIX}\n`);
    const r = ao('config', 'show');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AO_TEST_UNSET_PREFIX is not set');
    expect(r.stderr).toContain('projects.app.sessionPrefix');
  });

  it('an unset ${VAR} in one notifier disables that notifier with one warning; every command still works', () => {
    write(
      `defaults:\n  notifiers:\n    - console\n    - plugin: webhook\n      url: \${AO_TEST_UNSET_HOOK}\n${VALID}`,
    );
    const status = ao('status');
    expect(status.code).toBe(0);
    expect(status.stderr.trim().split('\n')).toEqual([
      `ao: warning: notifier "webhook" (${join(dir.path, 'agent-orchestrator.yaml')}:5:7 defaults.notifiers[1].url) is disabled: environment variable AO_TEST_UNSET_HOOK is not set (export AO_TEST_UNSET_HOOK=…, or remove the notifier)`,
    ]);
    const shown = ao('config', 'show', '--json');
    expect(shown.code).toBe(0);
    const notifiers = (JSON.parse(shown.stdout) as { projects: { app: { notifiers: (string | { plugin: string })[] } } }).projects.app.notifiers;
    expect(notifiers.map((n) => (typeof n === 'string' ? n : n.plugin))).toEqual(['console']);
    // Set, it is back.
    const set = runAo(['config', 'show'], { cwd: dir.path, env: { AO_HOME: home, AO_TEST_UNSET_HOOK: 'http://127.0.0.1:9/hook' } });
    expect(set.stderr).toBe('');
    expect(set.stdout).toContain('webhook');
  });

  it('without a notifiers list, desktop notifications join the console where a desktop can show them', () => {
    write(VALID);
    const shown = ao('config', 'show', '--json');
    expect(shown.code, shown.stderr).toBe(0);
    const notifiers = (JSON.parse(shown.stdout) as { projects: { app: { notifiers: unknown[] } } }).projects.app.notifiers;
    expect(notifiers).toEqual(['console', { plugin: 'desktop', whenAvailable: true }]);
  });

  it('${VAR:-default} and set variables interpolate', () => {
    write(`${VALID}    sessionPrefix: \${AO_TEST_UNSET_PREFIX:-fallback}\n`);
    const r = ao('config', 'show');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sessionPrefix: fallback');
  });

  it("a plugin's own schema validates its section", () => {
    const file = write(`${VALID}    agent: mine\nagents:\n  mine: { command: ["my-cli"], prompt: telepathy }\n`);
    const r = ao('config', 'show');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('agents.mine.prompt');
    expect(r.stderr).toContain('expected one of arg | stdin | send');
  });

  it('a plugin file that throws on import names the file', () => {
    mkdirSync(join(dir.path, 'plugins'));
    writeFileSync(join(dir.path, 'plugins', 'boom.js'), 'throw new Error("kaboom at import");\n');
    write(`${VALID}plugins: ["./plugins/boom.js"]\n`);
    const r = ao('plugin', 'ls');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(dir.path, 'plugins', 'boom.js'));
    expect(r.stderr).toContain('failed to load: kaboom at import');
  });

  it('a malformed plugin fails with PLUGIN_INVALID naming the missing member', () => {
    writeFileSync(join(dir.path, 'half.js'), 'export default { name: "half", slot: "notifier", version: "1.0.0", configSchema: { safeParse: (v) => ({ success: true, data: v }) } };\n');
    write(`${VALID}plugins: ["./half.js"]\n`);
    const r = ao('plugin', 'ls');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('half.js');
    expect(r.stderr).toContain('`create` must be a function');
  });

  it('nothing is written when validation fails', () => {
    const file = write(`${VALID}autonomy: yolo\n`);
    const before = readFileSync(file, 'utf8');
    expect(ao('init', '--force').code).not.toBe(0); // not a git repo: refuses before touching anything
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('config show masks secrets from the environment', () => {
    write(`${VALID}    notifiers:\n      - { plugin: webhook, url: "https://hooks.example.invalid/\${AO_TEST_TOKEN}" }\n`);
    const r = runAo(['config', 'show'], { cwd: dir.path, env: { AO_HOME: home, AO_TEST_TOKEN: 'ghp_supersecretvalue1234567890' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('supersecret');
    expect(r.stdout).toContain('https://hooks.example.invalid/***');
  });
});

describe('config show', () => {
  it('masks only the secret part of an interpolated value, even a one-letter secret', () => {
    write(`${VALID}    notifiers:\n      - { plugin: webhook, url: "https://hooks.example.invalid/x?k=\${AO_WEBHOOK_SECRET}", secret: "\${AO_WEBHOOK_SECRET}" }\n      - { plugin: slack, webhookUrl: "https://hooks.slack.com/services/T0/B0/abc" }\n`);
    const r = runAo(['config', 'show'], { cwd: dir.path, env: { AO_HOME: home, AO_WEBHOOK_SECRET: 's' } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('url: https://hooks.example.invalid/x?k=***');
    expect(r.stdout).toContain('sessionPrefix: app');
    expect(r.stdout).not.toContain('hooks.slack.com/services');
    expect(r.stdout).toMatch(/lifecycle:/);
    expect(r.stdout).toMatch(/orchestrator:/);
  });
});

describe('exit codes and help', () => {
  it('--help lists the commands and exits 0', () => {
    const r = ao('--help');
    expect(r.code).toBe(0);
    for (const cmd of ['init', 'doctor', 'config', 'plugin']) expect(r.stdout).toContain(cmd);
  });

  it('--version prints the version', () => {
    const r = ao('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a usage error exits 2', () => {
    expect(ao('no-such-command').code).toBe(2);
    expect(ao('init', '--bogus-flag').code).toBe(2);
  });
});
