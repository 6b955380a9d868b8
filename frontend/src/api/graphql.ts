/** A tiny typed client for the Yimi GraphQL API (POST /graphql). */

export const GRAPHQL_ENDPOINT = '/graphql';

/**
 * Sent with every request: the server runs mutations only for requests carrying it, which a page
 * on another site cannot add without a CORS preflight (protection against cross-site request forgery).
 */
export const CSRF_HEADER = 'X-Yimi-CSRF';

export interface GraphQLErrorItem {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

export interface GraphQLResponse<TData> {
  data?: TData | null;
  errors?: GraphQLErrorItem[];
}

/** Thrown when the request fails or the response carries GraphQL errors. */
export class GraphQLRequestError extends Error {
  override readonly name = 'GraphQLRequestError';
  readonly messages: readonly string[];
  readonly status: number | undefined;

  constructor(messages: readonly string[], status?: number) {
    super(messages.length > 0 ? messages.join('; ') : 'GraphQL request failed');
    this.messages = messages;
    this.status = status;
  }
}

export interface GraphQLRequestOptions {
  endpoint?: string;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Injected for tests; defaults to the global fetch. */
  fetchImpl?: typeof fetch;
}

function errorMessages(errors: unknown): string[] {
  if (!Array.isArray(errors)) return [];
  return errors.map((e: unknown) =>
    typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string'
      ? (e as { message: string }).message
      : 'Unknown GraphQL error',
  );
}

/**
 * POST `{query, variables}` and return `data`.
 * Throws GraphQLRequestError carrying the server's error messages when the
 * response has `errors`, is not JSON, or has no `data`.
 */
export async function graphqlRequest<TData, TVariables extends Record<string, unknown> = Record<string, never>>(
  query: string,
  variables?: TVariables,
  options: GraphQLRequestOptions = {},
): Promise<TData> {
  const doFetch = options.fetchImpl ?? globalThis.fetch.bind(globalThis);
  const init: RequestInit = {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json, application/json',
      ...options.headers,
      [CSRF_HEADER]: '1',
    },
    body: JSON.stringify({ query, variables: variables ?? {} }),
  };
  if (options.signal !== undefined) init.signal = options.signal;

  const response = await doFetch(options.endpoint ?? GRAPHQL_ENDPOINT, init);

  let payload: GraphQLResponse<TData>;
  try {
    payload = (await response.json()) as GraphQLResponse<TData>;
  } catch {
    throw new GraphQLRequestError([`HTTP ${response.status}: response is not JSON`], response.status);
  }

  const messages = errorMessages(payload?.errors);
  if (messages.length > 0) {
    throw new GraphQLRequestError(messages, response.status);
  }
  if (!response.ok) {
    throw new GraphQLRequestError([`HTTP ${response.status}`], response.status);
  }
  if (payload?.data === undefined || payload.data === null) {
    throw new GraphQLRequestError(['GraphQL response has no data'], response.status);
  }
  return payload.data;
}
