/**
 * The fake's GraphQL endpoint: graphql-js executes each query against GitHub's published schema
 * (@octokit/graphql-schema), with resolvers over the store (`graphql-nodes.ts`). So the fake
 * answers exactly the fields a query selects, in GitHub's shape, and refuses what GitHub refuses:
 * syntax errors, unknown fields or arguments, type errors, connections without `first`/`last`,
 * pages over 100 and queries over 500,000 nodes. Points are charged by GitHub's formula
 * (`graphql-cost.ts`); errors carry GitHub's `type` (`NOT_FOUND`, ...).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildSchema,
  execute,
  GraphQLError,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { queryCost, type QueryCost } from './graphql-cost.js';
import { GitHubGraphqlError, queryRoot, strictFieldResolver } from './graphql-nodes.js';
import type { Store } from './store.js';

let schema: GraphQLSchema | undefined;

/**
 * The SDL file of @octokit/graphql-schema, found the way Node resolves packages (up the
 * node_modules chain): its package exports only the parsed JSON, which costs more to load.
 */
function schemaFile(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', '@octokit', 'graphql-schema', 'schema.graphql');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error('fake GitHub: @octokit/graphql-schema is not installed (a dependency of @ao/testkit)');
  }
}

/** GitHub's public schema, built once per process (~0.5 s). */
export function githubSchema(): GraphQLSchema {
  schema ??= buildSchema(readFileSync(schemaFile(), 'utf8'), { assumeValidSDL: true });
  return schema;
}

export interface GraphqlRateBucket {
  limit: number;
  remaining: number;
  /** Epoch seconds. */
  resetAt: number;
}

export interface GraphqlResult {
  json: { data?: Record<string, unknown> | null; errors?: unknown[] };
  /** Null when the query was refused before running (nothing charged). */
  cost: QueryCost | null;
}

type Json = Record<string, unknown>;

function location(error: GraphQLError): { line: number; column: number }[] {
  return (error.locations ?? []).map((l) => ({ line: l.line, column: l.column }));
}

/** A refusal before execution: GitHub answers 200 with `errors` and no `data`. */
const refused = (errors: Json[]): GraphqlResult => ({ json: { errors }, cost: null });

/** Runs one query: validates it against GitHub's schema, checks its limits, charges `charge(cost)`, executes it. */
export function handleGraphql(query: string, variables: Record<string, unknown>, store: Store, bucket: GraphqlRateBucket, operationName?: string): GraphqlResult {
  const s = githubSchema();
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    const e = error as GraphQLError;
    return refused([{ message: `Parse error: ${e.message.replace(/^Syntax Error: /, '')}`, locations: location(e) }]);
  }
  const invalid = validate(s, document);
  if (invalid.length > 0) {
    return refused(invalid.map((e) => ({ path: [], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' }, locations: location(e), message: e.message })));
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) return refused([{ message: operationName ? `No operation named "${operationName}"` : 'An operation name is required' }]);
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;

  // Coerce variables the way execution will, so the cost sees `first: $n` as a number.
  const cost = queryCost(s, operation, fragments, variables);
  if ('type' in cost) return refused([{ type: cost.type, path: cost.path, locations: cost.locations, message: cost.message }]);
  if (cost.cost > bucket.remaining) {
    return refused([{ type: 'RATE_LIMITED', message: 'API rate limit exceeded for user ID 1.' }]);
  }
  bucket.remaining -= cost.cost;

  const rateLimit = (): Json => ({
    __typename: 'RateLimit',
    cost: cost.cost,
    limit: bucket.limit,
    remaining: bucket.remaining,
    used: bucket.limit - bucket.remaining,
    resetAt: new Date(bucket.resetAt * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    nodeCount: cost.nodeCount,
  });
  const result = execute({
    schema: s,
    document,
    rootValue: queryRoot(store, rateLimit),
    variableValues: variables,
    ...(operationName ? { operationName } : {}),
    fieldResolver: strictFieldResolver,
  });
  if ('then' in result) throw new Error('fake GitHub: resolvers must be synchronous');
  const json: GraphqlResult['json'] = { data: (result.data as Json | null | undefined) ?? null };
  if (result.errors?.length) {
    json.errors = result.errors.map((e) => {
      const original = e.originalError;
      return {
        ...(original instanceof GitHubGraphqlError ? { type: original.type } : {}),
        path: e.path ?? [],
        locations: location(e),
        message: e.message,
      };
    });
  }
  return { json, cost };
}
