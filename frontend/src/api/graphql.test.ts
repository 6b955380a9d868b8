import { describe, expect, it, vi } from 'vitest';
import { CSRF_HEADER, GraphQLRequestError, graphqlRequest, isForbidden, isUnauthenticated, onUnauthenticated } from './graphql';

function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

describe('graphqlRequest', () => {
  it('POSTs {query, variables} as JSON to /graphql and returns data', async () => {
    const fetchImpl = vi.fn<typeof fetch>(async () => jsonResponse({ data: { hello: 'world' } }));

    const data = await graphqlRequest<{ hello: string }, { n: number }>(
      'query Q($n: Int) { hello }',
      { n: 3 },
      {
        fetchImpl,
      },
    );

    expect(data).toEqual({ hello: 'world' });
    expect(fetchImpl).toHaveBeenCalledTimes(1);
    const [url, init] = fetchImpl.mock.calls[0]!;
    expect(url).toBe('/graphql');
    expect(init?.method).toBe('POST');
    expect((init?.headers as Record<string, string> | undefined)?.['Content-Type']).toBe('application/json');
    expect(JSON.parse(String(init?.body))).toEqual({ query: 'query Q($n: Int) { hello }', variables: { n: 3 } });
  });

  it('always sends the CSRF header, which caller headers cannot drop', async () => {
    const fetchImpl = vi.fn<typeof fetch>(async () => jsonResponse({ data: { signOut: { signedOut: true } } }));

    await graphqlRequest('mutation { signOut { signedOut } }', undefined, {
      fetchImpl,
      headers: { 'X-Trace': 'a', [CSRF_HEADER]: '' },
    });

    const headers = fetchImpl.mock.calls[0]![1]?.headers as Record<string, string>;
    expect(CSRF_HEADER).toBe('X-Yimi-CSRF');
    expect(headers[CSRF_HEADER]).toBe('1');
    expect(headers['X-Trace']).toBe('a');
  });

  it('throws an Error carrying every GraphQL error message', async () => {
    const fetchImpl = vi.fn<typeof fetch>(async () =>
      jsonResponse({
        data: null,
        errors: [{ message: 'Cannot query field "nope" on type "Query".', path: ['nope'] }, { message: '权限不足' }],
      }),
    );

    const failure = await graphqlRequest('{ nope }', undefined, { fetchImpl }).then(
      () => null,
      (err: unknown) => err,
    );

    expect(failure).toBeInstanceOf(GraphQLRequestError);
    expect(failure).toBeInstanceOf(Error);
    const err = failure as GraphQLRequestError;
    expect(err.messages).toEqual(['Cannot query field "nope" on type "Query".', '权限不足']);
    expect(err.message).toBe('Cannot query field "nope" on type "Query".; 权限不足');
    expect(err.status).toBe(200);
  });

  it('reports GraphQL errors even when partial data is present', async () => {
    const fetchImpl = vi.fn<typeof fetch>(async () => jsonResponse({ data: { a: 1 }, errors: [{ message: 'field b failed' }] }));
    await expect(graphqlRequest('{ a b }', undefined, { fetchImpl })).rejects.toThrow('field b failed');
  });

  it('throws with the HTTP status when the body is not JSON', async () => {
    const fetchImpl = vi.fn<typeof fetch>(async () => new Response('<h1>Bad Gateway</h1>', { status: 502 }));
    await expect(graphqlRequest('{ a }', undefined, { fetchImpl })).rejects.toThrow('HTTP 502: response is not JSON');
  });

  it('throws on a non-2xx JSON response without GraphQL errors', async () => {
    const fetchImpl = vi.fn<typeof fetch>(async () => jsonResponse({ detail: 'rate limited' }, 429));
    await expect(graphqlRequest('{ a }', undefined, { fetchImpl })).rejects.toMatchObject({
      name: 'GraphQLRequestError',
      status: 429,
      messages: ['HTTP 429'],
    });
  });

  it('keeps the error codes and tells UNAUTHENTICATED and FORBIDDEN apart', async () => {
    const answer = (code: string) =>
      vi.fn<typeof fetch>(async () =>
        jsonResponse({
          data: null,
          errors: [
            { message: 'no', path: ['enterprises'], extensions: { code } },
            { message: 'again', extensions: { code } },
          ],
        }),
      );
    const anonymous = await graphqlRequest('{ enterprises { totalCount } }', undefined, { fetchImpl: answer('UNAUTHENTICATED') }).catch(
      (e: unknown) => e,
    );
    expect((anonymous as GraphQLRequestError).codes).toEqual(['UNAUTHENTICATED']);
    expect(isUnauthenticated(anonymous)).toBe(true);
    expect(isForbidden(anonymous)).toBe(false);
    const viewer = await graphqlRequest('{ a }', undefined, { fetchImpl: answer('FORBIDDEN') }).catch((e: unknown) => e);
    expect(isForbidden(viewer)).toBe(true);
    expect(isUnauthenticated(viewer)).toBe(false);
    expect(isUnauthenticated(new Error('UNAUTHENTICATED'))).toBe(false);
  });

  it('tells the handler about UNAUTHENTICATED answers only, with the time the request was sent', async () => {
    const seen: Array<[string[], number]> = [];
    onUnauthenticated((err, sentAt) => seen.push([[...err.codes], sentAt]));
    try {
      const before = performance.now();
      const expired = vi.fn<typeof fetch>(async () =>
        jsonResponse({ data: { me: null, mapLayer: null }, errors: [{ message: 'sign in', extensions: { code: 'UNAUTHENTICATED' } }] }),
      );
      await expect(graphqlRequest('{ me { id } mapLayer }', undefined, { fetchImpl: expired })).rejects.toThrow('sign in');
      const forbidden = vi.fn<typeof fetch>(async () => jsonResponse({ errors: [{ message: 'no', extensions: { code: 'FORBIDDEN' } }] }));
      await expect(graphqlRequest('{ a }', undefined, { fetchImpl: forbidden })).rejects.toThrow('no');
      expect(seen).toHaveLength(1);
      expect(seen[0]![0]).toEqual(['UNAUTHENTICATED']);
      expect(seen[0]![1]).toBeGreaterThanOrEqual(before);
    } finally {
      onUnauthenticated(null);
    }
  });
});
