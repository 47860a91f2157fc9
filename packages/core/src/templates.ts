/**
 * Prompt templates: `{{issue.title}}`-style placeholders with dotted paths into a variables object.
 *
 * A missing variable is an error, never an empty string: an agent handed a prompt with a silent
 * hole ("Fix the issue titled ''") does the wrong work confidently, so we fail at spawn time with a
 * message that names the variable, the template and what is available.
 */
import { AoError } from './errors.js';

/** The prompt templates ao ships. `version` changes whenever the wording does, so sessions can record which one they got. */
export interface PromptTemplates {
  version: number;
  /** For sessions spawned from an issue. Variables: `issue.*`, `session.*`, `project.*`. */
  issue: string;
  /** For sessions spawned with `--prompt`. Variables: `prompt`, `session.*`, `project.*`. */
  task: string;
}

const DONE = [
  'When you are done:',
  '- commit your work on the branch `{{session.branch}}` (small commits with clear messages are fine);',
  '- make sure the project\'s tests pass;',
  '- then stop and wait for further instructions.',
  'Do not push, open a pull request or merge: ao handles pull requests, CI and reviews, and will send you',
  'CI failures and review comments if there are any.',
].join('\n');

export const DEFAULT_PROMPTS: Readonly<PromptTemplates> = Object.freeze({
  version: 1,
  issue: [
    'You are working on the project {{project.name}}, in a git workspace on the branch `{{session.branch}}`.',
    '',
    'Resolve issue #{{issue.id}}: {{issue.title}}',
    '',
    '{{issue.body}}',
    '',
    DONE,
    '',
  ].join('\n'),
  task: [
    'You are working on the project {{project.name}}, in a git workspace on the branch `{{session.branch}}`.',
    '',
    'Your task:',
    '',
    '{{prompt}}',
    '',
    DONE,
    '',
  ].join('\n'),
});

export interface RenderTemplateOptions {
  /** Shown in errors, e.g. `prompts.issue` or the config file path, so the user knows which template to fix. */
  name?: string;
}

type Part = { kind: 'text'; text: string } | { kind: 'var'; path: string[]; raw: string };

const PATH = /^[A-Za-z_$][\w$-]*(\.[\w$-]+)*$/;

function label(name: string | undefined): string {
  return name ? `template "${name}"` : 'template';
}

/** Splits a template into literal text and placeholders. Throws `TEMPLATE_INVALID` on a malformed placeholder. */
function parse(template: string, name: string | undefined): Part[] {
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    if (template.startsWith('\\{{', i)) {
      text += '{{';
      i += 3;
      continue;
    }
    if (!template.startsWith('{{', i)) {
      text += template[i];
      i += 1;
      continue;
    }
    const close = template.indexOf('}}', i + 2);
    const line = template.slice(0, i).split('\n').length;
    if (close === -1) {
      throw new AoError(
        'TEMPLATE_INVALID',
        `In ${label(name)}, line ${line}: "{{" is never closed with "}}". Close it, or write \\{{ for a literal "{{".`,
        { details: { template: name, line } },
      );
    }
    const raw = template.slice(i + 2, close).trim();
    if (!PATH.test(raw)) {
      throw new AoError(
        'TEMPLATE_INVALID',
        `In ${label(name)}, line ${line}: "{{${template.slice(i + 2, close)}}}" is not a variable; ` +
          `expected a name or dotted path like {{issue.title}}. Write \\{{ for a literal "{{".`,
        { details: { template: name, line, placeholder: raw } },
      );
    }
    if (text) parts.push({ kind: 'text', text });
    text = '';
    parts.push({ kind: 'var', path: raw.split('.'), raw });
    i = close + 2;
  }
  if (text) parts.push({ kind: 'text', text });
  return parts;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function keysOf(value: Record<string, unknown>): string {
  const keys = Object.keys(value).sort();
  return keys.length ? keys.join(', ') : '(none)';
}

function unknownVariable(
  raw: string,
  reason: string,
  vars: Record<string, unknown>,
  name: string | undefined,
): AoError {
  return new AoError(
    'TEMPLATE_INVALID',
    `Unknown variable {{${raw}}} in ${label(name)}: ${reason}. Available variables: ${keysOf(vars)}.`,
    { details: { template: name, variable: raw, available: Object.keys(vars).sort() } },
  );
}

function resolve(part: Extract<Part, { kind: 'var' }>, vars: Record<string, unknown>, name: string | undefined): unknown {
  let current: unknown = vars;
  for (let depth = 0; depth < part.path.length; depth++) {
    const segment = part.path[depth] as string;
    const parentPath = part.path.slice(0, depth).join('.');
    if (!isRecord(current)) {
      throw unknownVariable(part.raw, `"${parentPath}" is ${current === null ? 'null' : typeof current}, it has no field "${segment}"`, vars, name);
    }
    if (!Object.hasOwn(current, segment) || current[segment] === undefined || current[segment] === null) {
      const where = depth === 0 ? `"${segment}" is not set` : `"${parentPath}" has no "${segment}" (it has: ${keysOf(current)})`;
      throw unknownVariable(part.raw, where, vars, name);
    }
    current = current[segment];
  }
  return current;
}

function stringify(value: unknown, raw: string, name: string | undefined, inArray = false): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value) && !inArray) return value.map((v) => stringify(v, raw, name, true)).join(', ');
  const what = Array.isArray(value) ? 'a nested array' : isRecord(value) ? `an object (fields: ${keysOf(value)})` : typeof value;
  throw new AoError(
    'TEMPLATE_INVALID',
    `Variable {{${raw}}} in ${label(name)} is ${what}, which has no text form; use one of its fields, e.g. {{${raw}.<field>}}.`,
    { details: { template: name, variable: raw } },
  );
}

/**
 * Renders `template`, replacing each `{{ path.to.value }}` with its value from `vars`.
 * Strings are inserted as is, numbers and booleans stringified, arrays joined with ", ".
 * `\{{` renders a literal `{{`. Throws `AoError('TEMPLATE_INVALID')` for a malformed placeholder,
 * a variable that is missing (or null), or a value that is an object.
 */
export function renderTemplate(template: string, vars: Record<string, unknown>, options: RenderTemplateOptions = {}): string {
  const parts = parse(template, options.name);
  let out = '';
  for (const part of parts) {
    out += part.kind === 'text' ? part.text : stringify(resolve(part, vars, options.name), part.raw, options.name);
  }
  return out;
}

/**
 * The distinct variable paths a template uses (`['issue.title', 'session.branch']`), in order of
 * first use. Used to validate templates from the config at load time, before any session needs
 * them. Throws `TEMPLATE_INVALID` for a malformed placeholder.
 */
export function listTemplateVariables(template: string, options: RenderTemplateOptions = {}): string[] {
  const seen = new Set<string>();
  for (const part of parse(template, options.name)) if (part.kind === 'var') seen.add(part.raw);
  return [...seen];
}
