import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { processArgvContaining } from '@ao/testkit/process-argv';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startTestDaemon, WAIT, type TestDaemon } from './helpers.js';

// An agent that records the environment variable it got, then every line typed into it.
const AGENT = `
const fs = require('node:fs');
const out = process.argv[2];
fs.writeFileSync(out + '.env', process.env.AO_TEST_API_KEY ?? '');
process.stdout.write('ready> ');
process.stdin.on('data', (d) => fs.appendFileSync(out + '.typed', d));
`;

let daemon: TestDaemon | undefined;
afterAll(async () => {
  await daemon?.cleanup();
});

describe('process runtime launch', () => {
  it('gives the agent its secret env and a typed prompt without either appearing in any process argv', async () => {
    daemon = await startTestDaemon();
    const agent = join(daemon.root, 'agent.cjs');
    await writeFile(agent, AGENT);
    const secret = `sk-test-${randomBytes(12).toString('hex')}`;
    const prompt = `PROMPT-${randomBytes(8).toString('hex')}: fix the login bug`;
    const out = join(daemon.root, 'agent');
    const handle = await daemon.runtime.start({
      sessionId: 'argv-1',
      cwd: daemon.cwd,
      argv: [process.execPath, agent, out],
      env: { AO_TEST_API_KEY: secret },
    });
    await vi.waitFor(() => {
      if (!(existsSync(`${out}.env`) && readFileSync(`${out}.env`, 'utf8') === secret)) throw new Error('waiting for the agent env');
    }, WAIT);
    await vi.waitFor(async () => {
      if (!(await daemon!.runtime.capture(handle)).includes('ready>')) throw new Error('waiting for the agent prompt');
    }, WAIT);
    await daemon.runtime.sendText(handle, prompt);
    await vi.waitFor(() => {
      if (!(existsSync(`${out}.typed`) && readFileSync(`${out}.typed`, 'utf8').includes(prompt))) throw new Error('waiting for the typed prompt');
    }, WAIT);
    expect(await daemon.runtime.isAlive(handle)).toBe(true);
    expect(processArgvContaining([secret, prompt])).toEqual([]);
    await daemon.runtime.stop(handle);
  });
});
