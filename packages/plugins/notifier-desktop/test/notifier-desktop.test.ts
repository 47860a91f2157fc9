import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exec, isAoError, resolvePaths, systemClock, type Logger, type Notification, type PluginContext } from '@ao/core/plugin';
import { notifierConformance } from '@ao/testkit/notifier-conformance';
import plugin, { notifySendArgs } from '../src/index.js';

interface LogLine {
  level: string;
  obj: unknown;
  msg?: string;
}

function recordingLogger(lines: LogLine[]): Logger {
  const logger: Logger = {
    debug: (obj, msg) => void lines.push({ level: 'debug', obj, msg }),
    info: (obj, msg) => void lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => void lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => void lines.push({ level: 'error', obj, msg }),
    child: () => logger,
  };
  return logger;
}

/**
 * A directory with a fake `notify-send` (a real executable: node with an absolute shebang) that
 * appends its argv as one JSON line to `calls.jsonl`, or fails when `exitCode` is non-zero.
 */
async function fakeDesktop(options: { exitCode?: number } = {}) {
  const root = await mkdtemp(join(tmpdir(), 'ao-notifier-desktop-'));
  const bin = join(root, 'bin');
  await mkdir(bin);
  const calls = join(root, 'calls.jsonl');
  const script = [
    `#!${process.execPath}`,
    `require('node:fs').appendFileSync(${JSON.stringify(calls)}, JSON.stringify(process.argv.slice(2)) + '\\n');`,
    options.exitCode ? `process.stderr.write('GDBus.Error: no notification daemon\\n'); process.exit(${options.exitCode});` : '',
  ].join('\n');
  await writeFile(join(bin, 'notify-send'), script);
  await chmod(join(bin, 'notify-send'), 0o755);
  return {
    root,
    // First on PATH, ahead of any real notify-send on this machine.
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
    async calls(): Promise<string[][]> {
      const text = await readFile(calls, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as string[]);
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

function context(env: Record<string, string | undefined>, lines: LogLine[] = []): PluginContext {
  return { logger: recordingLogger(lines), clock: systemClock, env, exec, paths: resolvePaths(env), configDir: process.cwd() };
}

notifierConformance('desktop', async () => {
  const desktop = await fakeDesktop();
  return {
    notifier: await plugin.create(plugin.configSchema.parse({}), context(desktop.env)),
    received: () => desktop.calls(),
    cleanup: desktop.cleanup,
  };
});

const needsInput: Notification = {
  event: 'needs-input',
  title: 'Agent needs input',
  body: 'Which database?',
  level: 'action',
  project: 'shop',
  sessionId: 'shop-1',
  url: 'http://127.0.0.1:3939/s/shop-1',
};

describe('desktop notifier', () => {
  let desktop: Awaited<ReturnType<typeof fakeDesktop>>;
  beforeEach(async () => {
    desktop = await fakeDesktop();
  });
  afterEach(async () => {
    await desktop.cleanup();
  });

  it('runs notify-send with title and body as separate arguments and urgency from the level', async () => {
    const notifier = await plugin.create(plugin.configSchema.parse({ appName: 'ao-test' }), context(desktop.env));
    await notifier.notify(needsInput);
    await notifier.notify({ event: 'merged', title: 'Merged', body: 'PR #4 merged', level: 'info' });
    await notifier.notify({ event: 'errored', title: 'Agent crashed', body: '', level: 'error' });
    await notifier.notify({ event: 'ci-failed', title: 'CI failed', body: '', level: 'warn' });
    expect(await desktop.calls()).toEqual([
      ['--app-name=ao-test', '--urgency=critical', '--category=im', '--', 'shop/shop-1: Agent needs input', 'Which database?\nhttp://127.0.0.1:3939/s/shop-1'],
      ['--app-name=ao-test', '--urgency=normal', '--category=im', '--', 'Merged', 'PR #4 merged'],
      ['--app-name=ao-test', '--urgency=critical', '--category=im.error', '--', 'Agent crashed', ''],
      ['--app-name=ao-test', '--urgency=normal', '--category=im', '--', 'CI failed', ''],
    ]);
  });

  it('keeps agent text as text: no options, no markup, no escape sequences', () => {
    const args = notifySendArgs({
      event: 'x',
      title: '--version\x1b[31m red',
      body: '<b>bold</b> & <a href="http://evil">link</a>\x1b]0;t\x07\r\nnext',
      level: 'warn',
    });
    expect(args.slice(-3)).toEqual([
      '--',
      '--version red',
      '&lt;b&gt;bold&lt;/b&gt; &amp; &lt;a href="http://evil"&gt;link&lt;/a&gt;\nnext',
    ]);
    expect(args[0]).toBe('--app-name=ao');
  });

  it('rejects with NOTIFY_FAILED when notify-send fails (e.g. no notification daemon)', async () => {
    const broken = await fakeDesktop({ exitCode: 1 });
    try {
      const notifier = await plugin.create(plugin.configSchema.parse({}), context(broken.env));
      const error = await notifier.notify(needsInput).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isAoError(error) && error.code).toBe('NOTIFY_FAILED');
      expect((error as Error).message).toContain('no notification daemon');
    } finally {
      await broken.cleanup();
    }
  });

  it('whenAvailable: shows notifications in a desktop session, and is silent without one or without notify-send', async () => {
    const lines: LogLine[] = [];
    const headless = { ...desktop.env, DISPLAY: '', WAYLAND_DISPLAY: '', DBUS_SESSION_BUS_ADDRESS: '' };
    await (await plugin.create(plugin.configSchema.parse({ whenAvailable: true }), context(headless, lines))).notify(needsInput);
    expect(await desktop.calls()).toEqual([]);
    const noTool = { ...headless, DISPLAY: ':0', PATH: join(desktop.root, 'nowhere') };
    await (await plugin.create(plugin.configSchema.parse({ whenAvailable: true }), context(noTool, lines))).notify(needsInput);
    expect(lines).toEqual([]);
    await (await plugin.create(plugin.configSchema.parse({ whenAvailable: true }), context({ ...headless, DISPLAY: ':0' }, lines))).notify(needsInput);
    expect(await desktop.calls()).toHaveLength(1);
  });

  // The once-per-process warning is module state: this must stay the only test that hits it.
  it('without notify-send on PATH, warns once per process with how to install it and resolves', async () => {
    const emptyBin = join(desktop.root, 'empty');
    await mkdir(emptyBin);
    const env = { ...process.env, PATH: emptyBin };
    const lines: LogLine[] = [];
    const first = await plugin.create(plugin.configSchema.parse({}), context(env, lines));
    const second = await plugin.create(plugin.configSchema.parse({ appName: 'other' }), context(env, lines));

    await expect(first.notify(needsInput)).resolves.toBeUndefined();
    await expect(first.notify({ ...needsInput, level: 'info' })).resolves.toBeUndefined();
    await expect(second.notify(needsInput)).resolves.toBeUndefined();

    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('notify-send not found');
    expect(warnings[0]!.msg).toContain('apt install libnotify-bin');
    expect(await desktop.calls()).toEqual([]);
  });
});
