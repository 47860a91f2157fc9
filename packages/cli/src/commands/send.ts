import { readFileSync } from 'node:fs';
import { AoError } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { loadSessions } from '../sessions.js';
import { notifyDaemon } from '@ao/daemon/client';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `ao send <id> [message...] [--file F | -]`: delivers the text literally, as one submission; while
 * the agent waits on a menu, the text is the answer (core selects the option it names or refuses).
 * `ao send <id> --keys K...`: raw keys, no Enter added.
 */
export async function run([id, words, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { file?: string; keys?: boolean };
  const parts = (words as string[]) ?? [];
  if (flags.keys) {
    if (flags.file !== undefined) throw new AoError('USAGE', 'Give keys or --file, not both');
    if (!parts.length) throw new AoError('USAGE', 'No keys to send: e.g. `ao send <id> --keys Down Enter`');
    const { manager, paths } = await loadSessions(globals);
    await manager.sendKeys(String(id), parts);
    await notifyDaemon(paths, `send ${String(id)}`);
    return 0;
  }
  let message: string;
  if (flags.file !== undefined) {
    if (parts.length) throw new AoError('USAGE', 'Give the message as arguments or with --file, not both');
    message = flags.file === '-' ? await readStdin() : readFileSync(flags.file, 'utf8');
  } else if (parts.length === 1 && parts[0] === '-') {
    message = await readStdin();
  } else {
    message = parts.join(' ');
  }
  message = message.replace(/\n+$/, '');
  if (!message.trim()) throw new AoError('USAGE', 'Nothing to send: give a message, --file F, or - to read stdin');
  const { manager, paths } = await loadSessions(globals);
  await manager.send(String(id), message);
  await notifyDaemon(paths, `send ${String(id)}`);
  return 0;
}
