import { PLUGIN_SLOTS, type AnyPluginManifest, type PluginSlot } from '../contracts/plugin.js';
import { AoError } from '../errors.js';

/** Methods each slot's instance must have; checked when a plugin is created, so a bad one fails by name. */
export const SLOT_METHODS: Record<PluginSlot, readonly string[]> = {
  runtime: ['start', 'stop', 'isAlive', 'aliveMany', 'sendText', 'capture'],
  agent: ['launch', 'detectActivity'],
  workspace: ['create', 'state', 'remove'],
  tracker: ['getIssue', 'listIssues', 'createIssue', 'comment', 'close'],
  scm: ['findPullRequest', 'openPullRequest', 'pollPullRequests', 'merge'],
  notifier: ['notify'],
  terminal: ['attach'],
};

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * Checks that a module's default export is a plugin manifest. Throws `PLUGIN_INVALID` naming the
 * file and the first missing or mistyped member.
 */
export function assertManifest(value: unknown, origin: string): AnyPluginManifest {
  const fail = (what: string): never => {
    throw new AoError('PLUGIN_INVALID', `Plugin ${origin} is invalid: ${what} (see docs/plugins.md)`, { details: { origin } });
  };
  if (!value || typeof value !== 'object') {
    return fail(`its default export must be a plugin manifest object (definePlugin({...})), got ${typeOf(value)}`);
  }
  const m = value as Record<string, unknown>;
  const expectString = (key: string): void => {
    if (typeof m[key] !== 'string' || m[key] === '') fail(`\`${key}\` must be a non-empty string, got ${typeOf(m[key])}`);
  };
  expectString('name');
  expectString('slot');
  expectString('version');
  if (!PLUGIN_SLOTS.includes(m.slot as PluginSlot)) {
    fail(`\`slot\` must be one of ${PLUGIN_SLOTS.join(', ')}, got "${String(m.slot)}"`);
  }
  const schema = m.configSchema as { safeParse?: unknown } | undefined;
  if (!schema || typeof schema !== 'object' || typeof schema.safeParse !== 'function') {
    fail('`configSchema` must be a zod schema (an object with safeParse), e.g. z.object({})');
  }
  if (typeof m.create !== 'function') fail('`create` must be a function create(config, ctx)');
  if (m.configureDaemon !== undefined && typeof m.configureDaemon !== 'function') {
    fail(`\`configureDaemon\` must be a function configureDaemon(daemon, ctx) when present, got ${typeOf(m.configureDaemon)}`);
  }
  return value as AnyPluginManifest;
}

/** Checks a created instance has its slot's methods. Throws `PLUGIN_INVALID` naming the missing one. */
export function assertInstance(slot: PluginSlot, instance: unknown, origin: string): void {
  if (!instance || typeof instance !== 'object') {
    throw new AoError('PLUGIN_INVALID', `Plugin ${origin}: create() must return a ${slot} object, got ${typeOf(instance)}`);
  }
  for (const method of SLOT_METHODS[slot]) {
    const fn = (instance as Record<string, unknown>)[method];
    if (typeof fn !== 'function') {
      throw new AoError(
        'PLUGIN_INVALID',
        `Plugin ${origin}: the ${slot} returned by create() is missing method \`${method}\` (a ${slot} needs ${SLOT_METHODS[slot].join(', ')})`,
      );
    }
  }
}
