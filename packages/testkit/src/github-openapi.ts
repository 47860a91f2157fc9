/**
 * Checks GitHub traffic against GitHub's own published descriptions: REST requests and responses
 * against the OpenAPI description of api.github.com (@octokit/openapi), GraphQL documents against
 * the GraphQL schema (@octokit/graphql-schema). Tests run it over what a plugin sent to the fake
 * GitHub (`fake.requests`) and over what the fake answered, so neither side can drift from GitHub.
 *
 * Needs the devDependencies `@octokit/openapi` and `ajv` (large: loaded on first use only).
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, validate } from 'graphql';
import { githubSchema } from './fake-github/graphql.js';
import type { FakeGitHubRequest } from './fake-github/types.js';

type Json = Record<string, unknown>;
interface Operation {
  template: string;
  pattern: RegExp;
  params: number;
  method: string;
  op: Json;
}
type Validator = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

interface Loaded {
  doc: Json;
  operations: Operation[];
  compile(schema: unknown): Validator;
}

let loaded: Loaded | undefined;

function packageFile(...parts: string[]): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', ...parts);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${parts.slice(0, 2).join('/')} is not installed: it is a devDependency of @ao/testkit`);
  }
}

async function load(): Promise<Loaded> {
  if (loaded) return loaded;
  const { default: Ajv } = (await import('ajv')) as unknown as { default: new (o: Json) => { addSchema(s: unknown, key: string): void; compile(s: unknown): Validator } };
  // Component refs point into the document added under the key `gh`.
  const text = readFileSync(packageFile('@octokit', 'openapi', 'generated', 'api.github.com.json'), 'utf8').replaceAll('"#/components/', '"gh#/components/');
  const doc = toJsonSchema(JSON.parse(text)) as Json;
  const ajv = new Ajv({ strict: false, validateSchema: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ components: doc.components }, 'gh');
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths as Record<string, Json>)) {
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    for (const [method, op] of Object.entries(item)) {
      if (typeof op === 'object' && op !== null && 'responses' in op) operations.push({ template, pattern, params: (template.match(/\{/g) ?? []).length, method: method.toUpperCase(), op: op as Json });
    }
  }
  const cache = new Map<unknown, Validator>();
  loaded = {
    doc,
    operations,
    compile: (schema) => {
      let v = cache.get(schema);
      if (!v) cache.set(schema, (v = ajv.compile(schema)));
      return v;
    },
  };
  return loaded;
}

/** OpenAPI 3.0's `nullable: true` as JSON Schema: `type: [t, 'null']`, or `anyOf` with null where there is no type. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) out[key] = key === 'example' || key === 'examples' ? value : toJsonSchema(value);
  if (out.nullable !== true) return out;
  delete out.nullable;
  if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'], ...(Array.isArray(out.enum) ? { enum: [...out.enum, null] } : {}) };
  return { anyOf: [out, { type: 'null' }] };
}

function deref(doc: Json, value: unknown): Json {
  const ref = (value as { $ref?: string }).$ref;
  if (!ref) return value as Json;
  return ref
    .replace(/^gh#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (node as Json)[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc) as Json;
}

/** The operation GitHub documents for this method and path (the most specific template wins). */
async function operationFor(method: string, path: string): Promise<Operation | undefined> {
  const { operations } = await load();
  return operations.filter((o) => o.method === method && o.pattern.test(path)).sort((a, b) => a.params - b.params)[0];
}

function schemaErrors(validator: Validator, data: unknown): string[] {
  if (validator(data)) return [];
  return (validator.errors ?? []).slice(0, 200).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
}

/** Problems with one request as a client sent it: unknown operation, unknown query parameter, a body the description rejects, an invalid GraphQL document. */
export async function checkGitHubRequest(request: Pick<FakeGitHubRequest, 'method' | 'path' | 'query' | 'body'>): Promise<string[]> {
  const where = `${request.method} ${request.path}`;
  if (request.path.startsWith('/_fake/')) return [];
  if (request.path === '/graphql' || request.path === '/api/graphql') {
    const query = (request.body as { query?: unknown } | undefined)?.query;
    if (typeof query !== 'string') return [`${where}: no query`];
    try {
      return validate(githubSchema(), parse(query)).map((e) => `${where}: ${e.message}`);
    } catch (error) {
      return [`${where}: ${(error as Error).message}`];
    }
  }
  const { doc, compile } = await load();
  const operation = await operationFor(request.method, request.path.replace(/^\/api\/v3/, ''));
  if (!operation) return [`${where}: GitHub documents no such operation`];
  const problems: string[] = [];
  const params = ((operation.op.parameters as unknown[]) ?? []).map((p) => deref(doc, p));
  const known = new Set(params.filter((p) => p.in === 'query').map((p) => String(p.name)));
  for (const name of Object.keys(request.query)) if (!known.has(name)) problems.push(`${where} (${operation.template}): unknown query parameter "${name}"`);
  const body = deref(doc, operation.op.requestBody ?? {});
  const schema = ((body.content as Json | undefined)?.['application/json'] as Json | undefined)?.schema;
  if (schema && request.body !== undefined) for (const e of schemaErrors(compile(schema), request.body)) problems.push(`${where} (${operation.template}) body: ${e}`);
  if (!schema && request.body !== undefined && request.body !== null && Object.keys(request.body as Json).length > 0) problems.push(`${where}: GitHub takes no body here`);
  return problems;
}

/** Problems with one response: a status GitHub does not document for the operation, or a body its schema rejects. */
export async function checkGitHubResponse(method: string, path: string, status: number, body: unknown): Promise<string[]> {
  const { doc, compile } = await load();
  const where = `${method} ${path} → ${status}`;
  const operation = await operationFor(method, path);
  if (!operation) return [`${where}: GitHub documents no such operation`];
  if (status === 304) return [];
  const responses = operation.op.responses as Json;
  const response = responses[String(status)] ? deref(doc, responses[String(status)]) : undefined;
  if (!response) return [`${where}: GitHub documents no ${status} answer for ${operation.template} (has ${Object.keys(responses).join(', ')})`];
  const schema = ((response.content as Json | undefined)?.['application/json'] as Json | undefined)?.schema;
  if (!schema) return [];
  return schemaErrors(compile(schema), body).map((e) => `${where} (${operation.template}): ${e}`);
}

/** Every problem with a list of recorded requests (the fake's `requests`). */
export async function checkGitHubRequests(requests: readonly Pick<FakeGitHubRequest, 'method' | 'path' | 'query' | 'body'>[]): Promise<string[]> {
  const problems: string[] = [];
  for (const request of requests) problems.push(...(await checkGitHubRequest(request)));
  return [...new Set(problems)];
}
