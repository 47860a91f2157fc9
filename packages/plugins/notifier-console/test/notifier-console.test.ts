import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { build } from 'tsup';
import { afterAll, describe, expect, it } from 'vitest';
import { AoError, createPluginContext, type Notification } from '@ao/core/plugin';
import plugin, { createConsoleNotifier, formatNotification, shouldColor } from '../src/index.js';

/** A real stream that collects what was written; `isTTY` set as a terminal would. */
function capture(isTTY = false): { stream: PassThrough & { isTTY?: boolean }; text: () => string } {
  const stream: PassThrough & { isTTY?: boolean } = new PassThrough();
  if (isTTY) stream.isTTY = true;
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { stream, text: () => chunks.join('') };
}

const ciFailed: Notification = {
  event: 'ci-failed',
  title: 'CI failed',
  body: '2 tests failed in auth.test.ts',
  level: 'warn',
  project: 'shop',
  sessionId: 'shop-3',
};

describe('console notifier', () => {
  it('writes one plain line per notification when the stream is not a terminal', async () => {
    const out = capture();
    const notifier = createConsoleNotifier({ stream: out.stream, env: {} });
    await notifier.notify(ciFailed);
    await notifier.notify({ event: 'merged', title: 'Merged', body: '', level: 'info', project: 'shop' });
    await notifier.notify({ event: 'hello', title: 'Daemon started', body: 'watching 3 sessions', level: 'info', url: 'http://127.0.0.1:3939' });
    expect(out.text()).toBe(
      '[ao] warn shop/shop-3: CI failed — 2 tests failed in auth.test.ts\n' +
        '[ao] info shop: Merged\n' +
        '[ao] info Daemon started — watching 3 sessions (http://127.0.0.1:3939)\n',
    );
  });

  it('colours the level only on a TTY with NO_COLOR unset', async () => {
    const tty = capture(true);
    await createConsoleNotifier({ stream: tty.stream, env: {} }).notify({ ...ciFailed, level: 'action' });
    expect(tty.text()).toContain('\x1b[1;35maction\x1b[0m');
    expect(tty.text().replace(/\x1b\[[\d;]*m/g, '')).toBe('[ao] action shop/shop-3: CI failed — 2 tests failed in auth.test.ts\n');

    const noColor = capture(true);
    await createConsoleNotifier({ stream: noColor.stream, env: { NO_COLOR: '1' } }).notify(ciFailed);
    expect(noColor.text()).not.toContain('\x1b');

    expect(shouldColor({ isTTY: true }, {})).toBe(true);
    expect(shouldColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true); // no-color.org: only a non-empty value disables
    expect(shouldColor({ isTTY: false }, {})).toBe(false);
    expect(shouldColor({}, {})).toBe(false);
  });

  it('keeps multi-line text on one line and strips terminal escape sequences from it', () => {
    const line = formatNotification({
      event: 'needs-input',
      title: 'Agent asks\x1b]0;pwned\x07 a question',
      body: 'Which database?\n\n  postgres or\r\n sqlite \x1b[2J\x1b[31m?',
      level: 'action',
      project: 'shop',
      sessionId: 'shop-1',
    });
    expect(line).toBe('[ao] action shop/shop-1: Agent asks a question — Which database? ⏎ postgres or ⏎ sqlite ?');
  });

  it('rejects with NOTIFY_FAILED when the stream cannot be written', async () => {
    const broken = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('EPIPE: broken pipe'));
      },
    });
    broken.on('error', () => {}); // the rejection is how the failure is reported
    const error = await createConsoleNotifier({ stream: broken, env: {} })
      .notify(ciFailed)
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(AoError);
    expect((error as AoError).code).toBe('NOTIFY_FAILED');
    expect((error as AoError).message).toContain('EPIPE');
  });
});

describe('manifest', () => {
  it('is the console notifier with a strict config', () => {
    expect(plugin.name).toBe('console');
    expect(plugin.slot).toBe('notifier');
    expect(plugin.configSchema.safeParse({}).success).toBe(true);
    expect(plugin.configSchema.safeParse({ stream: 'stdout' }).success).toBe(true);
    expect(plugin.configSchema.safeParse({ stream: 'file' }).success).toBe(false);
    const ctx = createPluginContext({ configDir: tmpdir(), env: { AO_HOME: join(tmpdir(), 'ao-unused') } });
    expect(typeof (plugin.create({}, ctx) as { notify: unknown }).notify).toBe('function');
  });

  describe('in a real process', () => {
    let workDir: string | undefined;
    afterAll(async () => {
      if (workDir) await rm(workDir, { recursive: true, force: true });
    });

    /**
     * Node 20 cannot import TypeScript, so the plugin's source is bundled with tsup (as `pnpm build`
     * does) and a child process runs the manifest's own `create`, writing to its real stderr/stdout.
     */
    it('writes to stderr by default and to stdout when configured, uncoloured when piped', async () => {
      workDir = await mkdtemp(join(tmpdir(), 'ao-notifier-console-'));
      await build({
        entry: { notifier: resolve(import.meta.dirname, '../src/index.ts') },
        format: ['cjs'],
        outDir: workDir,
        platform: 'node',
        target: 'node20',
        noExternal: [/.*/],
        silent: true,
        config: false,
        esbuildOptions(options) {
          options.conditions = ['source'];
        },
      });
      const script = join(workDir, 'child.cjs');
      await writeFile(
        script,
        `const plugin = require(${JSON.stringify(join(workDir, 'notifier.cjs'))}).default;
         const config = process.argv[2] ? { stream: process.argv[2] } : {};
         plugin.create(config, { env: process.env }).notify({ event: 'e', title: 'Hello', body: 'from a child', level: 'info', project: 'p', sessionId: 'p-1' });`,
      );
      const run = (args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> =>
        new Promise((done, fail) => {
          const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.on('error', fail);
          child.on('close', (code) => done({ stdout, stderr, code }));
        });
      expect(await run([])).toEqual({ stdout: '', stderr: '[ao] info p/p-1: Hello — from a child\n', code: 0 });
      expect(await run(['stdout'])).toEqual({ stdout: '[ao] info p/p-1: Hello — from a child\n', stderr: '', code: 0 });
    }, 60_000);
  });
});
