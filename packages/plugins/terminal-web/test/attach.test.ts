import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStartTime, resolvePaths, type Runtime } from '@ao/core/plugin';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebTerminal } from '../src/index.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

/** The contract as terminal-web sees it: whether the runtime can open a terminal stream at all. */
const runtimeWith = (methods: Partial<Runtime>): Runtime => methods as Runtime;
const streaming = runtimeWith({ openTerminal: () => Promise.reject(new Error('not opened by attach')), isAlive: async () => true });

describe('terminal-web', () => {
  it('gives the dashboard URL of the session, with the token, when the daemon runs', async () => {
    // A record the daemon would write: its pid with its start time (the proof it is ao's daemon).
    const home = mkdtempSync(join(tmpdir(), 'ao-termweb-'));
    homes.push(home);
    writeFileSync(join(home, 'daemon.json'), JSON.stringify({ pid: process.pid, host: '127.0.0.1', port: 4321, url: 'http://127.0.0.1:4321', startedAt: new Date().toISOString(), version: '0', startTime: processStartTime(process.pid) }));
    writeFileSync(join(home, 'daemon.token'), 'tok123\n');
    const terminal = createWebTerminal({ paths: resolvePaths({ AO_HOME: home }) });
    await expect(terminal.attach({ runtime: 'process', id: 'app-3' }, { sessionId: 'app-3', runtime: streaming })).resolves.toEqual({ url: 'http://127.0.0.1:4321/?token=tok123#/s/app-3' });
    // Any runtime with a terminal stream: the page is the session's, whatever the runtime calls its terminal.
    await expect(terminal.attach({ runtime: 'tmux', id: 'ao-1a2b3c-app-4' }, { sessionId: 'app-4', runtime: streaming })).resolves.toEqual({ url: 'http://127.0.0.1:4321/?token=tok123#/s/app-4' });
  });

  it('refuses a runtime without openTerminal: the dashboard could not show it', async () => {
    const terminal = createWebTerminal({ paths: resolvePaths({ AO_HOME: tmpdir() }) });
    await expect(terminal.attach({ runtime: 'plain', id: 'x' }, { sessionId: 'app-5', runtime: runtimeWith({}) })).rejects.toMatchObject({ code: 'RUNTIME_FAILED', message: expect.stringContaining('openTerminal') });
  });

  it('says to start the daemon when it is not running', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ao-termweb-'));
    homes.push(home);
    const terminal = createWebTerminal({ paths: resolvePaths({ AO_HOME: home }) });
    await expect(terminal.attach({ runtime: 'process', id: 'app-3' }, { sessionId: 'app-3', runtime: streaming })).rejects.toThrow(/ao start/);
  });
});
