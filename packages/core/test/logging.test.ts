import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createFileLogger, flushLogs, loadConfig, redact } from '../src/index.js';

describe('logging', () => {
  it('redacts secret keys and token-looking values', () => {
    expect(redact({ token: 'abc', nested: { API_KEY: 'k', authorization: 'Bearer abcdefghijkl' }, note: 'uses ghp_abcdefghijklmnopqrstuvwxyz123456' })).toEqual({
      token: '[redacted]',
      nested: { API_KEY: '[redacted]', authorization: '[redacted]' },
      note: 'uses [redacted]',
    });
  });

  it('writes JSON lines to <logs>/ao.log with secrets redacted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ao-log-'));
    try {
      const logger = createFileLogger(dir).child({ component: 'test' });
      logger.info({ githubToken: 'ghp_abcdefghijklmnopqrstuvwxyz123456', count: 2 }, 'hello');
      // The file logger writes asynchronously: wait for the line, not for a time.
      const text = await vi.waitFor(() => {
        const t = readFileSync(join(dir, 'ao.log'), 'utf8');
        if (!t.trim()) throw new Error('not written yet');
        return t;
      });
      const line = JSON.parse(text.trim().split('\n')[0]!);
      expect(line).toMatchObject({ msg: 'hello', count: 2, component: 'test', githubToken: '[redacted]' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('log redaction by value', () => {
  it('masks the config\'s secret values wherever they appear, and keeps fields such as `key` that are not secrets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ao-log-values-'));
    try {
      // Secrets with no recognisable shape: only their values identify them.
      const fromVar = 'zq81-interpolated-value-77';
      const literal = 'lit3ral-env-secret-9931';
      const webhookSecret = 'hmac-shared-5521x';
      const file = join(dir, 'agent-orchestrator.yaml');
      writeFileSync(
        file,
        [
          'projects:',
          '  app: { path: . }',
          'defaults:',
          '  notifiers:',
          '    - { plugin: webhook, url: "https://example.test/hook", secret: "' + webhookSecret + '" }',
          'agents:',
          '  mine:',
          '    command: [my-cli]',
          '    env: { ACME_API_TOKEN: "${ACME_API_TOKEN}", PAYMENT_KEY: "' + literal + '", LOG_LEVEL: "verbose-debug" }',
          '',
        ].join('\n'),
      );
      loadConfig({ file, env: { ACME_API_TOKEN: fromVar } });

      const logger = createFileLogger(join(dir, 'logs'));
      logger.info({ reaction: 'ci-failed', key: 'ci-failed:app-1:3f2a9c', attempt: 2, inputTokens: 1200 }, 'reaction sent');
      logger.warn({ note: `agent said ${fromVar} and ${literal}`, nested: { list: [`x${webhookSecret}y`] }, level2: 'verbose-debug' }, `curl -H "X-Api: ${fromVar}"`);
      logger.error({ err: new Error(`request with ${literal} failed`), headers: { authorization: 'Basic dXNlcjpwYXNz' } }, 'failed');
      await flushLogs();
      const text = readFileSync(join(dir, 'logs', 'ao.log'), 'utf8');
      for (const secret of [fromVar, literal, webhookSecret, 'dXNlcjpwYXNz']) expect(text).not.toContain(secret);

      const [sent, warned, failed] = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(sent).toMatchObject({ reaction: 'ci-failed', key: 'ci-failed:app-1:3f2a9c', attempt: 2, inputTokens: 1200, msg: 'reaction sent' });
      expect(warned).toMatchObject({
        note: 'agent said [redacted] and [redacted]',
        nested: { list: ['x[redacted]y'] },
        level2: 'verbose-debug',
        msg: 'curl -H "X-Api: [redacted]"',
      });
      expect(failed).toMatchObject({ err: { message: 'request with [redacted] failed' }, headers: { authorization: '[redacted]' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('masks the values of secret-named environment variables of the process, not of others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ao-log-env-'));
    process.env.AO_TEST_DEPLOY_TOKEN = 'plainvalue-deploy-4471';
    process.env.AO_TEST_REGION = 'eu-central-test-1';
    try {
      createFileLogger(dir).info({ cmd: 'deploy plainvalue-deploy-4471 to eu-central-test-1' }, 'ran');
      await flushLogs();
      const line = JSON.parse(readFileSync(join(dir, 'ao.log'), 'utf8').trim()) as Record<string, unknown>;
      expect(line.cmd).toBe('deploy [redacted] to eu-central-test-1');
    } finally {
      delete process.env.AO_TEST_DEPLOY_TOKEN;
      delete process.env.AO_TEST_REGION;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
