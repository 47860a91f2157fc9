/**
 * The ssh runtime's section of the config:
 *
 *   runtime:
 *     plugin: ssh
 *     hosts:
 *       - { name: build-1, host: 10.0.0.5, user: ao, identityFile: ~/.ssh/ao_ed25519, maxSessions: 12 }
 *       - { name: build-2, host: build-2.internal, user: ao, maxSessions: 8 }
 *
 * (`hosts` may also be a mapping from name to host.) There is no password option, on purpose:
 * keys come from ssh-agent or `identityFile`.
 */
import { z } from '@ao/core/plugin';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const hostFields = {
  /** Host name or address to connect to (never read as an ssh option: no leading `-`, no spaces). */
  host: z.string().regex(/^[A-Za-z0-9_.:[\]%][A-Za-z0-9_.:[\]%-]*$/, 'a host name or address (no leading "-", no spaces)'),
  /** Login name on the host; ssh's default (your user, or ~/.ssh/config) when omitted. */
  user: z.string().regex(/^[A-Za-z0-9._][A-Za-z0-9._-]*$/, 'a plain user name').optional(),
  port: z.number().int().min(1).max(65_535).default(22),
  /** Private key file (`~` and paths relative to the config file work). Else ssh-agent / ssh's defaults. */
  identityFile: z.string().min(1).optional(),
  /** known_hosts file the host's key is checked against; ssh's default (~/.ssh/known_hosts) when omitted. */
  knownHostsFile: z.string().min(1).optional(),
  /** Accept and record the key of a host seen for the first time (a changed key is still refused). */
  trustOnFirstUse: z.boolean().default(false),
  /** An ssh client config file (`ssh -F`); `none` ignores ~/.ssh/config. Default: ssh's own. */
  sshConfigFile: z.string().min(1).optional(),
  /** Agent sessions this host may run at once (ao's own; other users' processes do not count). */
  maxSessions: z.number().int().min(1).max(1000).default(4),
  /** A new session goes elsewhere while the host has less memory available than this (MiB). */
  minFreeMemoryMb: z.number().int().min(0).default(1024),
  /** Directory on the host for ao's clones, worktrees, launch files and tmux socket; relative to the remote home. */
  root: z.string().min(1).default('.ao-remote'),
  password: z
    .undefined({ errorMap: () => ({ message: 'passwords are not supported: use a key (identityFile, or load it into ssh-agent)' }) })
    .optional(),
};

const hostSchema = z.object({ name: z.string().regex(NAME, 'letters, digits, . _ -'), ...hostFields }).strict();

const hostsSchema = z
  .union([z.array(hostSchema).min(1), z.record(z.string().regex(NAME, 'letters, digits, . _ -'), z.object(hostFields).strict())])
  .transform((hosts) => (Array.isArray(hosts) ? hosts : Object.entries(hosts).map(([name, host]) => ({ name, ...host }))))
  .refine((hosts) => hosts.length > 0, 'at least one host')
  .refine((hosts) => new Set(hosts.map((h) => h.name)).size === hosts.length, 'host names must be unique');

export const sshRuntimeConfigSchema = z
  .object({
    hosts: hostsSchema,
    /**
     * `sync` (default): the session's branch is pushed to a clone on the host and the agent works
     * in a worktree there; its commits are fetched back into the local workspace. `shared`: the
     * host sees the same path as this machine (a shared file system) and the agent runs in it.
     */
    workspace: z.enum(['sync', 'shared']).default('sync'),
    /** Commands (argv arrays) run on the host in a new remote workspace, e.g. `[pnpm, install]`. */
    postCreate: z.array(z.array(z.string()).min(1)).default([]),
    cols: z.number().int().min(20).max(1000).default(200),
    rows: z.number().int().min(5).max(500).default(50),
    remainOnExit: z.boolean().default(true),
    /** Seconds an idle shared connection to a host stays open (ssh ControlPersist). */
    controlPersistSeconds: z.number().int().min(0).max(86_400).default(600),
    /** Seconds to wait for a host to answer before it counts as unreachable. */
    connectTimeoutSeconds: z.number().int().min(1).max(300).default(10),
  })
  .strict();

export type SshRuntimeConfig = z.output<typeof sshRuntimeConfigSchema>;
export type SshHostConfig = SshRuntimeConfig['hosts'][number];
