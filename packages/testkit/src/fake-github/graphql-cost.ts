/**
 * GitHub's published GraphQL limits, applied to a parsed query before it runs
 * (https://docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api):
 *
 * - Every connection must say `first` or `last` (1..100) when it selects `nodes` or `edges`.
 * - Node limit: the sum over connections of (first|last × the nodes its parents can return) must
 *   stay at or under 500,000.
 * - Cost: the sum over connections of the requests they imply (one per parent node: a top-level
 *   connection is 1 request, one under `first: 100` is 100 requests), divided by 100 and rounded,
 *   at least 1 point.
 */
import {
  getNamedType,
  isObjectType,
  isInterfaceType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

export const MAX_NODES = 500_000;
export const MAX_PAGE = 100;

export interface QueryCost {
  /** Points charged: round(requests / 100), at least 1. */
  cost: number;
  /** Connection requests the query implies. */
  requests: number;
  /** The most nodes the query can return (GitHub's `rateLimit.nodeCount`). */
  nodeCount: number;
  /** How many `pullRequest(number:)` fields the query selects (for tests and benchmarks). */
  pullRequests: number;
}

/** An error GitHub reports instead of running the query (`type` as GitHub names it). */
export interface LimitError {
  type: 'MISSING_PAGINATION_BOUNDARIES' | 'EXCESSIVE_PAGINATION' | 'MAX_NODE_LIMIT_EXCEEDED';
  message: string;
  path: string[];
  locations: { line: number; column: number }[];
}

function argValue(node: ValueNode | undefined, variables: Record<string, unknown>): unknown {
  if (!node) return undefined;
  if (node.kind === Kind.VARIABLE) return variables[node.name.value];
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.NULL) return null;
  return undefined;
}

const isConnection = (type: GraphQLNamedType): boolean => type.name.endsWith('Connection') && (isObjectType(type) || isInterfaceType(type));

function selectsItems(set: SelectionSetNode | undefined, fragments: Record<string, FragmentDefinitionNode>): boolean {
  if (!set) return false;
  return set.selections.some((s) => {
    if (s.kind === Kind.FIELD) return s.name.value === 'nodes' || s.name.value === 'edges';
    if (s.kind === Kind.INLINE_FRAGMENT) return selectsItems(s.selectionSet, fragments);
    const fragment = fragments[s.name.value];
    return fragment ? selectsItems(fragment.selectionSet, fragments) : false;
  });
}

/** Walks the operation; returns the cost or the first limit GitHub would refuse it for. */
export function queryCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): QueryCost | LimitError {
  let requests = 0;
  let nodeCount = 0;
  let pullRequests = 0;
  let failure: LimitError | undefined;

  const fieldOf = (parent: GraphQLNamedType, node: FieldNode): GraphQLField<unknown, unknown> | undefined =>
    isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[node.name.value] : undefined;

  const walk = (set: SelectionSetNode | undefined, parent: GraphQLNamedType, parents: number, path: string[]): void => {
    if (!set || failure) return;
    for (const selection of set.selections) {
      if (failure) return;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        walk(selection.selectionSet, on ?? parent, parents, path);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments[selection.name.value];
        if (fragment) walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? parent, parents, path);
        continue;
      }
      const field = fieldOf(parent, selection);
      if (!field) continue;
      const key = selection.alias?.value ?? selection.name.value;
      if (selection.name.value === 'pullRequest') pullRequests += parents;
      const type = getNamedType(field.type);
      if (!isConnection(type)) {
        walk(selection.selectionSet, type, parents, [...path, key]);
        continue;
      }
      const args = Object.fromEntries((selection.arguments ?? []).map((a) => [a.name.value, argValue(a.value, variables)]));
      const limit = (args.first ?? args.last) as number | null | undefined;
      const location = selection.loc ? [{ line: selection.loc.startToken.line, column: selection.loc.startToken.column }] : [];
      if ((limit === undefined || limit === null) && selectsItems(selection.selectionSet, fragments)) {
        failure = {
          type: 'MISSING_PAGINATION_BOUNDARIES',
          message: `You must provide a \`first\` or \`last\` value to properly paginate the \`${selection.name.value}\` connection.`,
          path: [...path, key],
          locations: location,
        };
        return;
      }
      if (typeof limit === 'number' && (limit < 0 || limit > MAX_PAGE)) {
        failure = {
          type: 'EXCESSIVE_PAGINATION',
          message: `Requesting ${limit} records on the \`${selection.name.value}\` connection exceeds the \`${args.first !== undefined ? 'first' : 'last'}\` limit of ${MAX_PAGE} records.`,
          path: [...path, key],
          locations: location,
        };
        return;
      }
      const page = typeof limit === 'number' ? limit : 0;
      requests += parents;
      nodeCount += parents * page;
      if (nodeCount > MAX_NODES) {
        failure = {
          type: 'MAX_NODE_LIMIT_EXCEEDED',
          message: `By the time this query traverses to the ${selection.name.value} connection, it is requesting up to ${nodeCount.toLocaleString('en-US')} possible nodes which exceeds the maximum limit of ${MAX_NODES.toLocaleString('en-US')}.`,
          path: [...path, key],
          locations: location,
        };
        return;
      }
      walk(selection.selectionSet, type, parents * page, [...path, key]);
    }
  };

  const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  if (root) walk(operation.selectionSet, root, 1, [operation.operation]);
  if (failure) return failure;
  return { cost: Math.max(1, Math.round(requests / 100)), requests, nodeCount, pullRequests };
}
