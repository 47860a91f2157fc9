/**
 * The wire format of the daemon's `/api/pty` routes: one zod schema per request body, and the
 * response types, shared by the routes (which validate) and the plugin (which sends and reads).
 */
import { z } from '@ao/core/plugin';

export const ptyStartBodySchema = z
  .object({
    sessionId: z.string().min(1).max(200),
    cwd: z.string().min(1),
    argv: z.array(z.string()).min(1),
    env: z.record(z.string()).optional(),
    cols: z.number().int().min(2).max(1000).optional(),
    rows: z.number().int().min(2).max(500).optional(),
  })
  .strict();
export type PtyStartRequest = z.infer<typeof ptyStartBodySchema>;

export const ptyWriteBodySchema = z.object({ data: z.string() }).strict();

export const ptySendBodySchema = z
  .object({
    text: z.string(),
    /** Press Enter after the text. Default true. */
    submit: z.boolean().optional(),
    /** Wrap in bracketed-paste markers when the program enabled that mode. Default true. */
    bracketedPaste: z.boolean().optional(),
    /** A pause between the text and its Enter, for agents that drop an Enter in the same burst as a paste (the agent's `submitDelayMs`). */
    submitDelayMs: z.number().int().min(0).max(10_000).optional(),
  })
  .strict();
export type PtySendRequest = z.infer<typeof ptySendBodySchema>;

export const ptyResizeBodySchema = z
  .object({ cols: z.number().int().min(2).max(1000), rows: z.number().int().min(2).max(500) })
  .strict();

/** `GET /api/pty/:id/screen?lines=N`: the last N lines of scrollback above the screen (default 0). */
export const ptyScreenQuerySchema = z.object({ lines: z.coerce.number().int().min(0).default(0) });

/** What the host knows about one pty (live, exited, or left over from a previous daemon). */
export interface PtyInfo {
  id: string;
  sessionId: string;
  /** Pid of the program started in the pty (the leader of its process group). */
  pid: number;
  alive: boolean;
  /** Exit code once it exited by itself; null while alive or when unknown (previous daemon). */
  exitCode: number | null;
  /** Signal number that ended it, when one did. */
  signal: number | null;
  /** The program turned bracketed paste on (`ESC[?2004h`). */
  bracketedPaste: boolean;
  startedAt: string;
  exitedAt: string | null;
}

export interface PtyStartResponse {
  id: string;
  pid: number;
}

export interface PtyListResponse {
  ptys: PtyInfo[];
}

export interface PtyScreenResponse {
  screen: string;
}

