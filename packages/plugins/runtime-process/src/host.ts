/**
 * The pty host: runs agent programs in pseudo-terminals (node-pty) inside the ao daemon, for
 * machines without tmux. The daemon mounts it under `/api/pty` (see routes.ts) and the `process`
 * runtime plugin reaches it there, so every ao process sees the same terminals.
 *
 * Like tmux with remain-on-exit, a program that exits keeps its last screen readable until it is
 * stopped. Each pty has a record under `<home>/pty/` so a restarted daemon still knows its ids
 * (reported not alive, restartable with `start`) and ends agents orphaned by a crashed daemon.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AoError, neutralizePasteMarkers, systemClock, type AoPaths, type Clock, type Logger } from '@ao/core/plugin';
import type { IPty } from 'node-pty';
import { endProgram, reapOrphan, type EndingOptions } from './ending.js';
import { createPtyOutput, type PtyOutput } from './output.js';
import { spawnProgram } from './program.js';
import { pidAlive, readPtyRecord, readPtyRecords, removePtyRecord, writePtyRecord, writePtyRecordIf, type PtyRecord } from './records.js';
import type { PtyInfo, PtyStartRequest, PtyStartResponse } from './wire.js';

export interface PtyHostOptions {
  paths: AoPaths;
  logger: Logger;
  clock?: Clock;
  /** Milliseconds between SIGTERM and SIGKILL when stopping. Default 3000. */
  stopGraceMs?: number;
  /** Raw output kept per pty (for a terminal that attaches later). Default 256 KiB. */
  outputBytes?: number;
  /** Lines of scrollback kept above the screen. Default 2000. */
  scrollback?: number;
}

export interface PtySendOptions {
  submit?: boolean;
  bracketedPaste?: boolean;
  /** A pause between the text and its Enter (the agent's `submitDelayMs`). */
  submitDelayMs?: number;
}

export interface PtyHost {
  /** Starts `argv` in a new pty. Replaces an exited or previous-daemon pty of the same session; refuses a running one. */
  start(request: PtyStartRequest): Promise<PtyStartResponse>;
  /** Raw input to the program, as typed keys (a web terminal's keystrokes). */
  write(id: string, data: string): void;
  /**
   * Delivers `text` as one submission: inside bracketed-paste markers when the program enabled
   * that mode (newlines as CR, like a terminal's paste), then Enter when `submit`. A program
   * without bracketed paste gets the text typed, so each newline submits a line of its own.
   */
  sendText(id: string, text: string, options?: PtySendOptions): Promise<void>;
  resize(id: string, cols: number, rows: number): void;
  /** The screen as plain text plus up to `lines` lines of scrollback (like `tmux capture-pane -p -J`), all output so far included. */
  screen(id: string, lines?: number): Promise<string>;
  /** The raw output tail (escape sequences included), to replay into a terminal emulator. */
  output(id: string): string;
  /** Live output of a running pty; returns the unsubscribe function. */
  onOutput(id: string, listener: (data: string) => void): () => void;
  /** Called once when the program of a running pty exits (or is stopped); returns the unsubscribe function. */
  onExit(id: string, listener: (info: PtyInfo) => void): () => void;
  alive(id: string): boolean;
  info(id: string): PtyInfo | undefined;
  list(): PtyInfo[];
  /** SIGTERM to the process group, SIGKILL after the grace period; forgets the pty. Idempotent. */
  stop(id: string): Promise<void>;
  /** Ends every program (the daemon stops) but keeps records and last screens for the next daemon. */
  shutdown(): Promise<void>;
}

interface Entry {
  record: PtyRecord;
  /** Undefined for a pty of a previous daemon: known by id only. */
  pty?: IPty;
  output?: PtyOutput;
  alive: boolean;
  exitCode: number | null;
  signal: number | null;
  exitedAt: string | null;
  exited: Promise<void>;
  stopping?: Promise<void>;
}

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

/** The pty id for a session: the id itself when it is a safe file name, else a sanitised form plus a hash. */
export function ptyIdFor(sessionId: string): string {
  const safe = sessionId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.-]+/, '_').slice(0, 80);
  if (safe === sessionId) return safe;
  return `${safe}-${createHash('sha1').update(sessionId).digest('hex').slice(0, 6)}`;
}

/** The same program run: a record read back from disk against the one in memory. */
const sameProgram = (a: PtyRecord, b: PtyRecord): boolean => a.hostId === b.hostId && a.pid === b.pid;

export function createPtyHost(options: PtyHostOptions): PtyHost {
  const { paths } = options;
  const clock = options.clock ?? systemClock;
  const log = options.logger.child({ component: 'pty-host' });
  const graceMs = options.stopGraceMs ?? 3000;
  const outputBytes = options.outputBytes ?? 256 * 1024;
  const scrollback = options.scrollback ?? 2000;
  const hostId = randomBytes(6).toString('hex');
  const entries = new Map<string, Entry>();
  /** Orphans of a previous daemon still being ended; `start` of the same id waits for them. */
  const reaping = new Map<string, Promise<void>>();
  const writes = new Set<Promise<void>>();
  let closed = false;

  const ending: EndingOptions = { graceMs, clock, log };
  const iso = (): string => new Date(clock.now()).toISOString();

  /** Record writes run in the background; shutdown waits for them. */
  const persist = (work: () => Promise<void>): void => {
    const p = work()
      .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'could not write a pty record'))
      .finally(() => writes.delete(p));
    writes.add(p);
  };

  const settleWrites = async (): Promise<void> => {
    while (writes.size > 0) await Promise.all([...writes]);
  };

  /** Saves how the program ended and its last screen, unless another host owns the record now. */
  const persistEnd = (entry: Entry): void => {
    persist(async () => {
      const lastScreen = await entry.output?.screen.render(500);
      writePtyRecordIf(
        paths,
        {
          ...entry.record,
          exitCode: entry.exitCode,
          signal: entry.signal,
          exitedAt: entry.exitedAt,
          ...(lastScreen === undefined ? {} : { lastScreen }),
        },
        (current) => sameProgram(current, entry.record),
      );
    });
  };

  for (const record of readPtyRecords(paths, log)) {
    if (record.hostId === hostId) continue;
    entries.set(record.id, {
      record,
      alive: false,
      exitCode: record.exitCode ?? null,
      signal: record.signal ?? null,
      exitedAt: record.exitedAt ?? null,
      exited: Promise.resolve(),
    });
    // The old daemon still runs (another process): its ptys are its own business.
    const oldHostLives = record.hostPid !== process.pid && pidAlive(record.hostPid);
    if (!oldHostLives) {
      const p = reapOrphan(record, ending).finally(() => reaping.delete(record.id));
      reaping.set(record.id, p);
    }
  }

  const find = (id: string): Entry => {
    const entry = entries.get(id);
    if (!entry) throw new AoError('RUNTIME_NOT_FOUND', `no pty "${id}" in the ao daemon (it was stopped or never started)`, { details: { id } });
    return entry;
  };
  const running = (id: string, action: string): Entry & { pty: IPty; output: PtyOutput } => {
    const entry = find(id);
    if (!entry.alive || !entry.pty || !entry.output) {
      throw new AoError('RUNTIME_STATE', `cannot ${action}: the program in pty "${id}" is not running (exit code ${entry.exitCode ?? 'unknown'})`, {
        details: { id },
      });
    }
    return entry as Entry & { pty: IPty; output: PtyOutput };
  };

  const info = (entry: Entry): PtyInfo => ({
    id: entry.record.id,
    sessionId: entry.record.sessionId,
    pid: entry.record.pid,
    alive: entry.alive,
    exitCode: entry.exitCode,
    signal: entry.signal,
    bracketedPaste: entry.output?.screen.bracketedPaste ?? false,
    startedAt: entry.record.startedAt,
    exitedAt: entry.exitedAt,
  });

  /** SIGTERM, then SIGKILL after the grace period, then whatever is left of the group. */
  const terminate = async (entry: Entry): Promise<void> => {
    await endProgram(entry.record.pid, entry.alive ? entry.exited : undefined, ending);
    entry.alive = false;
  };

  const start = async (request: PtyStartRequest): Promise<PtyStartResponse> => {
    if (closed) throw new AoError('DAEMON_UNAVAILABLE', 'the ao daemon is shutting down; start the session again once it runs (`ao start`)');
    const id = ptyIdFor(request.sessionId);
    await reaping.get(id);
    const existing = entries.get(id);
    if (existing?.alive || existing?.stopping) {
      throw new AoError('RUNTIME_STATE', `pty "${id}" is already running (pid ${existing.record.pid}); stop it before starting it again`, { details: { id } });
    }
    const { pty, cols, rows } = await spawnProgram(request);
    let resolveExited: () => void = () => undefined;
    const entry: Entry = {
      record: {
        id,
        sessionId: request.sessionId,
        pid: pty.pid,
        hostPid: process.pid,
        hostId,
        argv: [...request.argv],
        cwd: request.cwd,
        startedAt: iso(),
      },
      pty,
      output: createPtyOutput({ cols, rows, scrollback, tailBytes: outputBytes }),
      alive: true,
      exitCode: null,
      signal: null,
      exitedAt: null,
      exited: new Promise<void>((r) => (resolveExited = r)),
    };
    const output = entry.output as PtyOutput;
    pty.onData((data) => output.push(data));
    pty.onExit(({ exitCode, signal }) => {
      entry.alive = false;
      entry.exitCode = signal ? null : exitCode;
      entry.signal = signal ? signal : null;
      entry.exitedAt = iso();
      output.close();
      resolveExited();
      log.info({ id, pid: entry.record.pid, exitCode, signal }, 'pty program exited');
      // A stopped pty's record is removed, not updated.
      if (entries.get(id) === entry && !entry.stopping) persistEnd(entry);
    });
    existing?.output?.screen.dispose();
    entries.set(id, entry);
    // A write about the pty this one replaces must not land after (and over) the new record.
    await settleWrites();
    await writePtyRecord(paths, entry.record);
    log.info({ id, pid: pty.pid, cwd: request.cwd, program: request.argv[0] }, 'pty started');
    return { id, pid: pty.pid };
  };

  const stop = async (id: string): Promise<void> => {
    const entry = entries.get(id);
    if (!entry) {
      await removePtyRecord(paths, id);
      return;
    }
    entry.stopping ??= (async () => {
      await (reaping.get(id) ?? terminate(entry));
      if (entries.get(id) === entry) entries.delete(id);
      await settleWrites();
      entry.output?.screen.dispose();
      const current = readPtyRecord(paths, id);
      if (current && sameProgram(current, entry.record)) await removePtyRecord(paths, id);
      log.info({ id, pid: entry.record.pid }, 'pty stopped');
    })();
    await entry.stopping;
  };

  return {
    start,
    stop,

    write(id, data) {
      running(id, 'write').pty.write(data);
    },

    async sendText(id, text, sendOptions = {}) {
      // Bracketed paste is judged on all the output so far (the prompt that enabled it included).
      await running(id, 'send text').output.screen.settled();
      const entry = running(id, 'send text');
      // A paste-end marker inside the text would end the paste early and submit the rest as keys.
      const body = neutralizePasteMarkers(text).replace(/\r?\n/g, '\r');
      const paste = sendOptions.bracketedPaste !== false && entry.output.screen.bracketedPaste;
      entry.pty.write(paste ? `${PASTE_START}${body}${PASTE_END}` : body);
      if (sendOptions.submit === false) return;
      if (sendOptions.submitDelayMs) {
        await clock.sleep(sendOptions.submitDelayMs);
        running(id, 'submit text').pty.write('\r');
      } else {
        entry.pty.write('\r');
      }
    },

    resize(id, cols, rows) {
      const entry = running(id, 'resize');
      entry.pty.resize(cols, rows);
      entry.output.screen.resize(cols, rows);
    },

    async screen(id, lines = 0) {
      const entry = find(id);
      if (entry.output) return entry.output.screen.render(Math.max(0, Math.floor(lines)));
      if (entry.record.lastScreen !== undefined) return entry.record.lastScreen;
      throw new AoError('RUNTIME_NOT_FOUND', `pty "${id}" belonged to a previous ao daemon and its screen was not saved`, { details: { id } });
    },

    output(id) {
      return find(id).output?.tail() ?? '';
    },

    onOutput(id, listener) {
      return running(id, 'follow output').output.subscribe(listener);
    },

    onExit(id, listener) {
      const entry = running(id, 'follow its exit');
      let subscribed = true;
      void entry.exited.then(() => {
        if (subscribed) listener(info(entry));
      });
      return () => {
        subscribed = false;
      };
    },

    alive(id) {
      return entries.get(id)?.alive === true;
    },

    info(id) {
      const entry = entries.get(id);
      return entry ? info(entry) : undefined;
    },

    list() {
      return [...entries.values()].map(info);
    },

    async shutdown() {
      closed = true;
      const live = [...entries.values()].filter((e) => e.alive);
      await Promise.all([...live.map((e) => terminate(e)), ...reaping.values()]);
      // Exit handlers queued their record writes (last screens); let them land.
      await settleWrites();
      log.info({ count: live.length }, 'pty host shut down');
    },
  };
}
