import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileLogger, redact } from '../src/index.js';

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
      await new Promise((r) => setTimeout(r, 200));
      const line = JSON.parse(readFileSync(join(dir, 'ao.log'), 'utf8').trim().split('\n')[0]!);
      expect(line).toMatchObject({ msg: 'hello', count: 2, component: 'test', githubToken: '[redacted]' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
