// A CLI that drops the Enter after a paste (Claude Code does while it is busy: rendering a resumed
// conversation, processing the paste on a loaded machine) keeps the message in its input box,
// unsent. ao reads the box after each delivery (the agent plugin's readInput) and presses Enter
// again while it still holds the message. Here a program drawing Claude Code's 2.x input box, run
// as `claude` by the real claude-code plugin in real tmux, drops the first Enter after each paste;
// or (DISCARD_FIRST_PASTE) discards the first paste whole, as keys a TUI gets before it reads its
// input are lost: the screen stays as it was, and ao pastes the message once more; or
// (LOADING_AFTER_FIRST_PASTE) keeps redrawing a loading line for a while after its first paste
// before it draws the box with the message, dropping the Enter (a resumed conversation loading).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runAoAsync } from './run-ao.js';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

/** Claude Code's 2.x screen: rule, `❯ <box>`, rule, footer; logs each submission (empty ones too). */
const TUI = String.raw`
const fs = require('node:fs');
const log = process.env.SUBMISSIONS_LOG;
const said = [];
let box = '';
let pasting = false;
let dropNextEnter = false;
// DISCARD_FIRST_PASTE: '1' discards the first paste, 'all' every one; either way Enters are kept.
const discards = process.env.DISCARD_FIRST_PASTE;
const dropsEnters = !discards;
let discarding = Boolean(discards);
let loading = process.env.LOADING_AFTER_FIRST_PASTE === '1' ? -1 : 0;
const rule = '─'.repeat(60);
const draw = () => {
  const lines = ['Claude Code (scripted stand-in)', '', ...said.map((s) => '● got: ' + s.replace(/\n/g, ' / ')), '', rule];
  if (loading > 0) lines.splice(1, 0, 'Loading the conversation… ' + loading);
  (loading > 0 ? '' : box).split('\n').forEach((l, i) => lines.push((i === 0 ? '❯ ' : '  ') + l));
  lines.push(rule, '  ? for shortcuts');
  process.stdout.write('\x1b[2J\x1b[H' + lines.join('\r\n'));
};
process.stdin.setRawMode(true);
process.stdout.write('\x1b[?2004h');
draw();
let pending = '';
process.stdin.on('data', (chunk) => {
  pending += chunk.toString('utf8');
  if (discarding) {
    // Everything up to and with the Enter after the first paste is lost, and nothing is redrawn.
    const end = pending.indexOf('\x1b[201~\r');
    if (end < 0) return;
    pending = pending.slice(end + 7);
    discarding = discards === 'all';
    if (pending === '') return;
  }
  for (;;) {
    if (pending.startsWith('\x1b[200~')) { pasting = true; pending = pending.slice(6); continue; }
    if (pending.startsWith('\x1b[201~')) {
      pasting = false;
      dropNextEnter = dropsEnters;
      pending = pending.slice(6);
      if (loading < 0) {
        loading = 15;
        const tick = setInterval(() => {
          loading--;
          if (loading === 0) clearInterval(tick);
          draw();
        }, 100);
      }
      continue;
    }
    if (pending === '' || (pending.startsWith('\x1b') && pending.length < 6)) break;
    const ch = pending[0];
    pending = pending.slice(1);
    if (ch === '\r' && !pasting) {
      if (dropNextEnter) { dropNextEnter = false; continue; }
      fs.appendFileSync(log, JSON.stringify(box) + '\n');
      said.push(box);
      box = '';
    } else if (ch === '\x03') {
      process.exit(0);
    } else {
      box += ch === '\r' ? '\n' : ch;
    }
  }
  draw();
});
`;

let env: SessionEnv;
let submissions: string;
let processEnv: Record<string, string>;
beforeEach(async () => {
  env = await createSessionEnv();
  const bin = join(env.home, '..', 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'claude'), `#!${process.execPath}\n${TUI}`);
  chmodSync(join(bin, 'claude'), 0o755);
  submissions = join(env.home, '..', 'submissions.jsonl');
  // The plugin records folder trust in $HOME/.claude.json and looks for transcripts in CLAUDE_CONFIG_DIR.
  processEnv = { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: join(env.home, '..'), CLAUDE_CONFIG_DIR: join(env.home, '..', 'claude'), SUBMISSIONS_LOG: submissions };
  writeFileSync(join(env.repo, 'agent-orchestrator.yaml'), 'defaults:\n  runtime: tmux\n  agent: claude-code\nprojects:\n  app:\n    path: .\n    defaultBranch: main\n');
});
afterEach(async () => {
  await env.cleanup();
});

const ao = (...args: string[]) => runAoAsync(args, { cwd: env.repo, env: { AO_HOME: env.home, ...processEnv } });

const messageEvents = (id: string) =>
  readFileSync(join(env.home, 'projects', 'app', 'sessions', `${id}.events.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; data?: Record<string, unknown> })
    .filter((e) => e.type === 'message.sent');

const submitted = (): string[] =>
  existsSync(submissions)
    ? readFileSync(submissions, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string)
    : [];

it('a message whose Enter the CLI dropped is submitted by pressing Enter again, once', async () => {
  const spawned = await ao('spawn', '--prompt', 'Remember the word papaya.');
  expect(spawned.code, spawned.stderr).toBe(0);
  const id = spawned.stdout.trim();
  // The prompt is typed in once the box shows; the TUI dropped its Enter, ao pressed it again.
  await until(() => submitted().length >= 1, 30_000, 'the prompt to be submitted');
  const sent = await ao('send', id, 'Which word did I ask you to remember?\nAnswer in one word.');
  expect(sent.code, `${sent.stderr}\n${env.screen(id)}`).toBe(0);
  await until(() => submitted().length >= 2, 30_000, `the message to be submitted; the screen:\n${env.screen(id)}`);
  // Each exactly once, whole, and no empty submission from an Enter too many.
  const [prompt, message, ...more] = submitted();
  expect(prompt).toContain('Your task:\n\nRemember the word papaya.\n');
  expect(message).toBe('Which word did I ask you to remember?\nAnswer in one word.');
  expect(more).toEqual([]);
  expect(messageEvents(id).map((e) => [e.data?.extraEnters, e.data?.unconfirmed])).toEqual([
    [1, undefined],
    [1, undefined],
  ]);
}, 90_000);

it('a paste the CLI never got (its screen unchanged since before it) is pasted once more, and arrives once', async () => {
  processEnv.DISCARD_FIRST_PASTE = '1';
  const spawned = await ao('spawn', '--prompt', 'Remember the word papaya.');
  expect(spawned.code, spawned.stderr).toBe(0);
  const id = spawned.stdout.trim();
  await until(() => submitted().length >= 1, 30_000, `the prompt to be submitted; the screen:\n${env.screen(id)}`);
  const sent = await ao('send', id, 'Which word?');
  expect(sent.code, sent.stderr).toBe(0);
  await until(() => submitted().length >= 2, 30_000, `the message to be submitted; the screen:\n${env.screen(id)}`);
  const [prompt, message, ...more] = submitted();
  expect(prompt).toContain('Your task:\n\nRemember the word papaya.\n');
  expect(message).toBe('Which word?');
  expect(more).toEqual([]);
  expect(messageEvents(id).map((e) => [e.data?.extraPastes, e.data?.unconfirmed])).toEqual([
    [1, undefined],
    [undefined, undefined],
  ]);
}, 90_000);

it('a message pasted while the CLI still draws something else, its Enter dropped, is seen in the box once drawn and submitted', async () => {
  processEnv.LOADING_AFTER_FIRST_PASTE = '1';
  const spawned = await ao('spawn', '--prompt', 'Remember the word papaya.');
  expect(spawned.code, spawned.stderr).toBe(0);
  const id = spawned.stdout.trim();
  await until(() => submitted().length >= 1, 30_000, `the prompt to be submitted; the screen:\n${env.screen(id)}`);
  const [prompt, ...more] = submitted();
  expect(prompt).toContain('Your task:\n\nRemember the word papaya.\n');
  expect(more).toEqual([]);
  expect(messageEvents(id).map((e) => [e.data?.extraEnters, e.data?.extraPastes, e.data?.unconfirmed])).toEqual([[1, undefined, undefined]]);
}, 90_000);

it('a CLI that never gets any paste: pasted twice in all, then recorded as unconfirmed; the spawn does not hang', async () => {
  processEnv.DISCARD_FIRST_PASTE = 'all';
  const spawned = await ao('spawn', '--prompt', 'Remember the word papaya.');
  expect(spawned.code, spawned.stderr).toBe(0);
  const id = spawned.stdout.trim();
  expect(submitted(), env.screen(id)).toEqual([]);
  expect(messageEvents(id).map((e) => [e.data?.extraPastes, e.data?.unconfirmed])).toEqual([[1, true]]);
}, 90_000);
