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
  /** `extensions.code` of each error that has one (UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED…). */
  readonly codes: readonly string[];

  constructor(messages: readonly string[], status?: number, codes: readonly string[] = []) {
    super(messages.length > 0 ? messages.join('; ') : 'GraphQL request failed');
    this.messages = messages;
    this.status = status;
    this.codes = codes;
  }
}

/** True for an error the server gave because nobody is signed in (e.g. the session expired). */
export function isUnauthenticated(err: unknown): boolean {
  return err instanceof GraphQLRequestError && err.codes.includes('UNAUTHENTICATED');
}

/** True when the signed-in caller may not read or do this (their role forbids it). */
export function isForbidden(err: unknown): boolean {
  return err instanceof GraphQLRequestError && err.codes.includes('FORBIDDEN');
}

/**
 * Called (before the error is thrown) whenever a response says UNAUTHENTICATED, with the time the
 * request was sent (performance.now()), so that answers to requests sent before the latest sign-in
 * can be told apart. One handler for the whole app: the session shell sets it.
 */
export type UnauthenticatedHandler = (error: GraphQLRequestError, sentAt: number) => void;
let unauthenticatedHandler: UnauthenticatedHandler | null = null;
export function onUnauthenticated(handler: UnauthenticatedHandler | null): void {
  unauthenticatedHandler = handler;
}

export interface GraphQLRequestOptions {
  endpoint?: string;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Injected for tests; defaults to the global fetch. */
  fetchImpl?: typeof fetch;
}

function errorCodes(errors: unknown): string[] {
  if (!Array.isArray(errors)) return [];
  const codes: string[] = [];
  for (const e of errors as unknown[]) {
    const code = (e as { extensions?: { code?: unknown } } | null)?.extensions?.code;
    if (typeof code === 'string' && !codes.includes(code)) codes.push(code);
  }
  return codes;
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

  const sentAt = typeof performance !== 'undefined' ? performance.now() : Date.now();
  const response = await doFetch(options.endpoint ?? GRAPHQL_ENDPOINT, init);

  let payload: GraphQLResponse<TData>;
  try {
    payload = (await response.json()) as GraphQLResponse<TData>;
  } catch {
    throw new GraphQLRequestError([`HTTP ${response.status}: response is not JSON`], response.status);
  }

  const messages = errorMessages(payload?.errors);
  if (messages.length > 0) {
    const error = new GraphQLRequestError(messages, response.status, errorCodes(payload?.errors));
    if (unauthenticatedHandler !== null && isUnauthenticated(error)) unauthenticatedHandler(error, sentAt);
    throw error;
  }
  if (!response.ok) {
    throw new GraphQLRequestError([`HTTP ${response.status}`], response.status);
  }
  if (payload?.data === undefined || payload.data === null) {
    throw new GraphQLRequestError(['GraphQL response has no data'], response.status);
  }
  return payload.data;
}
