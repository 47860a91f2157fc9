import type { Document, LineCounter } from 'yaml';
import { isMap, isNode, isScalar, isSeq } from 'yaml';
import type { z } from 'zod';

/** `projects.app.agent` from `['projects', 'app', 'agent']`; array indexes as `[0]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out || '(top level)';
}

/** `file:line:col` for a key path in a parsed YAML document, as close as the document allows. */
export function locate(
  doc: Document | undefined,
  counter: LineCounter | undefined,
  path: readonly (string | number)[],
): { line: number; col: number } | undefined {
  if (!doc || !counter) return undefined;
  let node: unknown = doc.contents;
  let best: number | undefined = isNode(node) ? node.range?.[0] : undefined;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === part);
      if (!pair) break;
      if (isNode(pair.key) && pair.key.range) best = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
      if (isNode(node) && node.range) best = node.range[0];
    } else break;
  }
  if (best === undefined) return undefined;
  const pos = counter.linePos(best);
  return { line: pos.line, col: pos.col };
}

function describeReceived(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return String(value);
}

/** The value at a key path of plain parsed data, or undefined. */
export function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v == null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** The keys a strict object schema accepts at `path`, for "unknown key" messages. */
export function allowedKeysAt(schema: z.ZodTypeAny, path: readonly (string | number)[]): string[] | undefined {
  let s: z.ZodTypeAny | undefined = schema;
  const unwrap = (t: z.ZodTypeAny): z.ZodTypeAny => {
    let cur = t;
    for (;;) {
      const def = cur._def as { innerType?: z.ZodTypeAny; schema?: z.ZodTypeAny; typeName?: string };
      if (def.innerType) cur = def.innerType;
      else if (def.typeName === 'ZodEffects' && def.schema) cur = def.schema;
      else return cur;
    }
  };
  for (const part of path) {
    if (!s) return undefined;
    const t = unwrap(s);
    const def = t._def as { typeName?: string; valueType?: z.ZodTypeAny; options?: z.ZodTypeAny[]; type?: z.ZodTypeAny };
    if (def.typeName === 'ZodObject') s = (t as z.AnyZodObject).shape[part as string];
    else if (def.typeName === 'ZodRecord') s = def.valueType;
    else if (def.typeName === 'ZodArray') s = def.type;
    else return undefined;
  }
  if (!s) return undefined;
  const t = unwrap(s);
  if ((t._def as { typeName?: string }).typeName === 'ZodObject') return Object.keys((t as z.AnyZodObject).shape);
  return undefined;
}

/** One line of "what was expected" for a zod issue, in words a user of the YAML file understands. */
export function describeIssue(issue: z.ZodIssue, input: unknown, schema?: z.ZodTypeAny): string {
  const received = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      if (issue.received === 'undefined') return `required: expected ${issue.expected}`;
      return `expected ${issue.expected}, received ${describeReceived(received)}`;
    case 'unrecognized_keys': {
      const allowed = schema ? allowedKeysAt(schema, issue.path) : undefined;
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      return `unknown key ${keys}${allowed ? ` (expected one of: ${allowed.join(', ')})` : ''}`;
    }
    case 'invalid_enum_value':
      return `expected one of ${issue.options.map(String).join(' | ')}, received ${describeReceived(received)}`;
    case 'invalid_literal':
      return `expected ${JSON.stringify(issue.expected)}, received ${describeReceived(received)}`;
    case 'invalid_union': {
      // Report the branch that got furthest; for slots that means "name or { plugin, ... }".
      const nested = issue.unionErrors.flatMap((e) => e.issues).find((i) => i.path.length > issue.path.length);
      if (nested) return describeIssue(nested, input, undefined);
      return `expected a plugin name or { plugin: <name>, ... }, received ${describeReceived(received)}`;
    }
    case 'too_small':
      if (issue.type === 'array') return `expected at least ${String(issue.minimum)} item(s)`;
      if (issue.type === 'string') return issue.message.startsWith('String') ? 'expected a non-empty string' : issue.message;
      return `expected a number >= ${String(issue.minimum)}, received ${describeReceived(received)}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)}, received ${describeReceived(received)}`;
    default:
      return issue.message;
  }
}

/** The issue's own path, plus the extra path component for unknown keys so the location points at the key. */
export function issuePath(issue: z.ZodIssue): (string | number)[] {
  if (issue.code === 'unrecognized_keys' && issue.keys[0]) return [...issue.path, issue.keys[0]];
  return issue.path;
}
