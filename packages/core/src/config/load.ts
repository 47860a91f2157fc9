import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { AoError, type ErrorCode } from '../errors.js';
import { describeIssue, formatPath, issuePath, locate } from './issues.js';
import { addSecretValues, isSecretVarName } from '../logging.js';
import { ConfigSchema, type ParsedConfig } from './schema.js';

export const CONFIG_FILE_NAMES = ['agent-orchestrator.yaml', 'agent-orchestrator.yml'] as const;

/** Walks up from `cwd` to find the config file. Undefined when there is none. */
export function findConfigFile(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The parsed YAML document, kept to point error messages at a line and column. */
export interface ConfigSource {
  file: string;
  text: string;
  doc: Document;
  counter: LineCounter;
}

export interface LoadedConfig {
  file: string;
  dir: string;
  config: ParsedConfig;
  source: ConfigSource;
  /** Key paths whose value came (partly) from an environment variable, with the variable names. */
  interpolated: { path: (string | number)[]; vars: string[]; template: string }[];
  /** Problems that did not stop loading (e.g. a notifier disabled for an unset variable), one line each. */
  warnings: string[];
}

/** `file:line:col` (or just `file`) for a key path, for every config error message. */
export function where(source: ConfigSource | undefined, file: string, path: readonly (string | number)[]): string {
  const pos = locate(source?.doc, source?.counter, path);
  return pos ? `${file}:${pos.line}:${pos.col}` : file;
}

/** Turns zod issues into one AoError that names the file, each key path and what was expected. */
export function zodToAoError(
  code: ErrorCode,
  error: z.ZodError,
  ctx: { file: string; source?: ConfigSource; input: unknown; schema?: z.ZodTypeAny; prefix?: (string | number)[]; title?: string },
): AoError {
  const prefix = ctx.prefix ?? [];
  const lines = error.issues.slice(0, 10).map((issue) => {
    const path = [...prefix, ...issuePath(issue)];
    return `${where(ctx.source, ctx.file, path)} ${formatPath(path)}: ${describeIssue(issue, ctx.input, ctx.schema)}`;
  });
  const more = error.issues.length > 10 ? `\n  …and ${error.issues.length - 10} more` : '';
  const title = ctx.title ?? `Invalid config in ${ctx.file}`;
  const message = lines.length === 1 ? `${title}: ${lines[0]}` : `${title}:\n  ${lines.join('\n  ')}${more}`;
  return new AoError(code, message, {
    details: { file: ctx.file, issues: error.issues.map((i) => ({ path: formatPath([...prefix, ...i.path]), message: i.message })) },
  });
}

const VAR = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` (and `${VAR:-default}`) in every string of the parsed YAML. `$${` is a
 * literal `${`. An unset variable without a default is an error naming it and where it is used.
 */
export function interpolateEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  onError: (name: string, path: (string | number)[]) => never,
  record: LoadedConfig['interpolated'],
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    if (!value.includes('$')) return value;
    const vars: string[] = [];
    const out = value.replace(VAR, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const name_ = name as string;
      const v = env[name_];
      if (v === undefined || v === '') {
        if (fallback !== undefined) return fallback;
        onError(name_, path);
      }
      vars.push(name_);
      return v as string;
    });
    if (vars.length) record.push({ path, vars, template: value });
    return out;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, onError, record, [...path, i]));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, env, onError, record, [...path, k]);
    return out;
  }
  return value;
}

export interface LoadConfigOptions {
  /** Where to start looking for the config (default: process.cwd()). */
  cwd?: string;
  /** An explicit config file (`--config`); must exist. */
  file?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

/** Locates the config file or throws `CONFIG_NOT_FOUND` saying how to create one. */
export function resolveConfigFile(options: LoadConfigOptions = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file ?? options.env?.AO_CONFIG;
  if (explicit) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file)) {
      throw new AoError('CONFIG_NOT_FOUND', `Config file ${file} does not exist: check the --config path, or run \`ao init\` to create one`);
    }
    return file;
  }
  const found = findConfigFile(cwd);
  if (!found) {
    throw new AoError(
      'CONFIG_NOT_FOUND',
      `No agent-orchestrator.yaml found in ${resolve(cwd)} or any parent directory: run \`ao init\` in your repository, or pass --config <file>`,
    );
  }
  return found;
}

/** Keys of config values that are credentials (`token:`, `secret:`, `apiKey:`, `webhookUrl:`…). */
const SECRET_CONFIG_KEY = /(token|secret|password|passwd|authorization|cookie|credential|api[-_]?key|private[-_]?key|webhook[-_]?url)/i;

/**
 * The secret values of a loaded config, for log redaction: what came from a secret-named
 * `${VAR}` (the variable's value, wherever it was interpolated), string values under
 * credential-named keys, and values of secret-named environment entries (`env: { MY_API_KEY: … }`).
 */
export function configSecretValues(loaded: Pick<LoadedConfig, 'config' | 'interpolated'>, env: Readonly<Record<string, string | undefined>>): string[] {
  const found: string[] = [];
  for (const { vars } of loaded.interpolated) for (const name of vars) if (isSecretVarName(name) && env[name]) found.push(env[name] as string);
  const walk = (value: unknown, depth: number): void => {
    if (depth > 12 || !value || typeof value !== 'object') return;
    for (const [key, v] of Object.entries(value)) {
      const upper = /^[A-Z][A-Z0-9_]*$/.test(key);
      if (typeof v === 'string' && (SECRET_CONFIG_KEY.test(key) || (upper && isSecretVarName(key)))) found.push(v);
      else walk(v, depth + 1);
    }
  };
  walk(loaded.config, 0);
  return found;
}

/**
 * Reads, parses, interpolates and validates the config file (top level only; plugin sections are
 * validated by `resolveConfig` with each plugin's own schema). Apart from reading the file, its one
 * effect: the config's secret values are registered with the log redaction (`configSecretValues`).
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const file = resolveConfigFile({ ...options, env });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new AoError('CONFIG_NOT_FOUND', `Cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
  const loaded = parseConfigText(text, file, env);
  addSecretValues(configSecretValues(loaded, env));
  return loaded;
}

/**
 * Parses YAML `text` of `file`, keeping the positions that `where` and `zodToAoError` turn into
 * `file:line:col`. A syntax error throws `code` naming the position of the first one.
 */
export function parseYamlSource(text: string, file: string, code: ErrorCode): ConfigSource {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = counter.linePos(yamlError.pos[0]);
    const reason = yamlError.message.split('\n')[0];
    throw new AoError(code, `YAML syntax error in ${file}:${pos.line}:${pos.col}: ${reason}`, {
      details: { file, line: pos.line, col: pos.col },
    });
  }
  return { file, text, doc, counter };
}

/** Parses and validates config text as if it were the file `file`. */
export function parseConfigText(text: string, file: string, env: Readonly<Record<string, string | undefined>> = process.env): LoadedConfig {
  const source = parseYamlSource(text, file, 'CONFIG_PARSE');
  const raw: unknown = source.doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new AoError('CONFIG_INVALID', `Invalid config in ${file}: expected a mapping at the top level (see agent-orchestrator.yaml.example)`);
  }
  const interpolated: LoadedConfig['interpolated'] = [];
  const warnings = dropNotifiersWithUnsetVars(raw as Record<string, unknown>, env, source, file);
  const data = interpolateEnv(
    raw,
    env,
    (name, path) => {
      throw new AoError(
        'ENV_VAR_UNSET',
        `${where(source, file, path)} ${formatPath(path)}: environment variable ${name} is not set (export ${name}=…, or write \${${name}:-default})`,
        { details: { file, path: formatPath(path), variable: name } },
      );
    },
    interpolated,
  );
  const parsed = ConfigSchema.safeParse(data);
  if (!parsed.success) {
    throw zodToAoError('CONFIG_INVALID', parsed.error, { file, source, input: data, schema: ConfigSchema });
  }
  return { file, dir: dirname(file), config: parsed.data, source, interpolated, warnings };
}

/**
 * A notifier whose settings name an unset variable (a Slack webhook on a machine without
 * SLACK_WEBHOOK_URL) is left out with a warning instead of failing every command: telling a human
 * is best-effort, and `ao status` must work without it. Anything else with an unset variable
 * still fails. Mutates `raw`; returns the warnings.
 */
function dropNotifiersWithUnsetVars(
  raw: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
  source: ConfigSource,
  file: string,
): string[] {
  const warnings: string[] = [];
  const lists: { list: unknown; path: (string | number)[] }[] = [];
  const section = (v: unknown): Record<string, unknown> | undefined =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  lists.push({ list: section(raw.defaults)?.notifiers, path: ['defaults', 'notifiers'] });
  for (const [name, project] of Object.entries(section(raw.projects) ?? {})) {
    lists.push({ list: section(project)?.notifiers, path: ['projects', name, 'notifiers'] });
  }
  for (const { list, path } of lists) {
    if (!Array.isArray(list)) continue;
    for (let i = list.length - 1; i >= 0; i--) {
      const unset = firstUnsetVar(list[i], env, [...path, i]);
      if (!unset) continue;
      const entry = list[i];
      const plugin = typeof entry === 'string' ? entry : String(section(entry)?.plugin ?? '?');
      list.splice(i, 1);
      warnings.unshift(
        `notifier "${plugin}" (${where(source, file, unset.path)} ${formatPath(unset.path)}) is disabled: ` +
          `environment variable ${unset.name} is not set (export ${unset.name}=…, or remove the notifier)`,
      );
    }
  }
  return warnings;
}

function firstUnsetVar(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  path: (string | number)[],
): { name: string; path: (string | number)[] } | undefined {
  const found: { name: string; path: (string | number)[] }[] = [];
  const stop = new Error('unset variable');
  try {
    interpolateEnv(value, env, (name, at) => {
      found.push({ name, path: at });
      throw stop;
    }, [], path);
  } catch (error) {
    if (error !== stop) throw error;
  }
  return found[0];
}
