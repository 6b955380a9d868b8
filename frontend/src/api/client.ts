/** Typed requests: a generated document carries its result and variable types (see codegen.ts). */
import type { TypedDocumentString } from './generated/graphql';
import { type GraphQLRequestOptions, graphqlRequest } from './graphql';

export interface PageInfo {
  hasNextPage: boolean;
  endCursor?: string | null | undefined;
}
export interface Connection<T> {
  totalCount: number;
  pageInfo: PageInfo;
  nodes: T[];
}

export function request<TResult, TVariables extends Record<string, unknown>>(
  document: TypedDocumentString<TResult, TVariables>,
  variables?: TVariables,
  options?: GraphQLRequestOptions,
): Promise<TResult> {
  return graphqlRequest<TResult, TVariables>(document.toString(), variables, options);
}

/** Every node of a paginated connection (100 a page), up to `limit`. */
export async function fetchAll<TResult, TVariables extends Record<string, unknown>, TNode>(
  document: TypedDocumentString<TResult, TVariables & { first?: number | null; after?: string | null }>,
  connection: (data: TResult) => Connection<TNode>,
  variables: TVariables,
  limit = 5000,
): Promise<TNode[]> {
  const out: TNode[] = [];
  let after: string | null = null;
  for (;;) {
    const conn = connection(await request(document, { ...variables, first: 100, after }));
    out.push(...conn.nodes);
    if (!conn.pageInfo.hasNextPage || out.length >= limit) break;
    after = conn.pageInfo.endCursor ?? null;
  }
  return out;
}
