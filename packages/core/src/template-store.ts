import { join } from 'node:path';
import { z } from 'zod';
import type { AoPaths, Clock } from './contracts/plugin.js';
import type { ResolvedProject } from './config/resolve.js';
import { AoError } from './errors.js';
import { mkdirPrivate, readJsonRecord, writeJsonRecord } from './sessions/fs-atomic.js';
import { withFileLock } from './sessions/lock.js';
import { DEFAULT_PROMPTS, listTemplateVariables } from './templates.js';

/** The prompt templates that have versions: what `ao spawn` renders for an issue, or for a prompt. */
export const TEMPLATE_NAMES = ['issue', 'task'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

const StoredSchema = z.object({
  /** The version in use; 1 is the config's template (or ao's default). */
  current: z.number().int().positive(),
  /** Versions 2 and up, as set with `ao template set`. */
  versions: z.array(z.object({ version: z.number().int().min(2), text: z.string(), createdAt: z.string(), from: z.string().optional() })),
});
type Stored = z.output<typeof StoredSchema>;

export interface TemplateVersion {
  name: TemplateName;
  version: number;
  text: string;
  /** `config` for version 1, else when it was set. */
  source: string;
  current: boolean;
}

/**
 * Versioned prompt templates under `<AO_HOME>/templates/<name>.json`. Version 1 is always the
 * config's template for the project (`prompts.<name>`, else ao's default); `set` adds version
 * N+1 and makes it current for every project; `rollback` points `current` at an earlier one.
 * Sessions record the version they were spawned with as `template: "<name>@<version>"`.
 */
export interface TemplateStore {
  /** The text and `<name>@<version>` a spawn in `project` uses now. */
  current(name: TemplateName, project: ResolvedProject): Promise<{ text: string; ref: string }>;
  versions(name: TemplateName, project: ResolvedProject): Promise<TemplateVersion[]>;
  get(name: TemplateName, version: number, project: ResolvedProject): Promise<TemplateVersion>;
  set(name: TemplateName, text: string, from?: string): Promise<TemplateVersion>;
  /** To `version`, or to the one before the current. */
  rollback(name: TemplateName, version?: number): Promise<number>;
}

/** `task`, or `task@3` → name and version (undefined: the current one). Throws `USAGE`. */
export function parseTemplateRef(ref: string): { name: TemplateName; version?: number } {
  const match = /^([a-z]+)(?:@(\d+))?$/.exec(ref);
  const name = match?.[1] as TemplateName | undefined;
  if (!match || !name || !TEMPLATE_NAMES.includes(name)) {
    throw new AoError('USAGE', `"${ref}" is not a template: use ${TEMPLATE_NAMES.join(' or ')}, optionally with @<version> (e.g. task@2)`, { exitCode: 2 });
  }
  return match[2] !== undefined ? { name, version: Number(match[2]) } : { name };
}

const VARIABLES: Record<TemplateName, readonly string[]> = { issue: ['issue', 'session', 'project', 'prompt'], task: ['prompt', 'session', 'project'] };

export function createTemplateStore(paths: AoPaths, clock: Clock): TemplateStore {
  const dir = join(paths.home, 'templates');
  const file = (name: TemplateName): string => join(dir, `${name}.json`);
  const configText = (name: TemplateName, project: ResolvedProject): string => project.prompts[name] ?? DEFAULT_PROMPTS[name];

  const read = async (name: TemplateName): Promise<Stored> => {
    const path = file(name);
    const stored = await readJsonRecord(path, StoredSchema, () =>
      new AoError('TEMPLATE_INVALID', `Template file ${path} is corrupt: move it aside to go back to the config's template.`, { details: { path } }));
    return stored ?? { current: 1, versions: [] };
  };
  const update = async <T>(name: TemplateName, fn: (stored: Stored) => T): Promise<T> => {
    await mkdirPrivate(dir);
    return withFileLock(join(dir, `${name}.lock`), async () => {
      const stored = await read(name);
      const result = fn(stored);
      await writeJsonRecord(file(name), stored);
      return result;
    }, {});
  };
  const all = (name: TemplateName, stored: Stored, project: ResolvedProject): TemplateVersion[] => [
    { name, version: 1, text: configText(name, project), source: 'config', current: stored.current === 1 },
    ...stored.versions.map((v) => ({ name, version: v.version, text: v.text, source: `set ${v.createdAt}${v.from ? ` from ${v.from}` : ''}`, current: stored.current === v.version })),
  ];
  const notFound = (name: TemplateName, version: number, last: number): AoError =>
    new AoError('USAGE', `Template ${name} has no version ${version} (versions 1..${last}): \`ao template ls\``, { exitCode: 2 });

  const store: TemplateStore = {
    async current(name, project) {
      const stored = await read(name);
      const v = stored.versions.find((x) => x.version === stored.current);
      return { text: v?.text ?? configText(name, project), ref: `${name}@${v ? v.version : 1}` };
    },
    async versions(name, project) {
      return all(name, await read(name), project);
    },
    async get(name, version, project) {
      const versions = all(name, await read(name), project);
      const found = versions.find((v) => v.version === version);
      if (!found) throw notFound(name, version, versions.length);
      return found;
    },
    async set(name, text, from) {
      // Checked before it is stored: a template that cannot render would fail every spawn.
      for (const v of listTemplateVariables(text, { name: `template ${name}` })) {
        const root = v.split('.')[0] ?? v;
        if (!VARIABLES[name].includes(root)) {
          throw new AoError('TEMPLATE_INVALID', `Template ${name} uses {{${v}}}, which is not available (available: ${VARIABLES[name].join(', ')})`);
        }
      }
      return update(name, (stored) => {
        const version = Math.max(1, ...stored.versions.map((v) => v.version)) + 1;
        stored.versions.push({ version, text, createdAt: new Date(clock.now()).toISOString(), ...(from ? { from } : {}) });
        stored.current = version;
        return { name, version, text, source: 'set', current: true };
      });
    },
    rollback: (name, version) =>
      update(name, (stored) => {
        const last = Math.max(1, ...stored.versions.map((v) => v.version));
        const target = version ?? stored.current - 1;
        if (target < 1) throw new AoError('USAGE', `Template ${name} is at version 1 (the config's): there is nothing to roll back to`, { exitCode: 2 });
        if (target !== 1 && !stored.versions.some((v) => v.version === target)) throw notFound(name, target, last);
        stored.current = target;
        return target;
      }),
  };
  return store;
}

