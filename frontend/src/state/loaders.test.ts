import { describe, expect, it, vi } from 'vitest';
import { Loaders } from './loaders';
import { Store } from './store';

const graphqlRequest = vi.hoisted(() => vi.fn());
vi.mock('../api/graphql', () => ({ graphqlRequest }));

function page(codes: string[], endCursor: string | null) {
  const nodes = codes.map((code) => ({ id: `T${code}`, code, name: code, kind: 'TOWN', seat: null, boundary: null }));
  return { townships: { totalCount: 250, pageInfo: { hasNextPage: endCursor !== null, endCursor }, nodes } };
}

describe('the loaders', () => {
  it('load every township, page after page (a province has thousands)', async () => {
    const codes = Array.from({ length: 250 }, (_, i) => String(410000001 + i));
    graphqlRequest
      .mockResolvedValueOnce(page(codes.slice(0, 100), 'c1'))
      .mockResolvedValueOnce(page(codes.slice(100, 200), 'c2'))
      .mockResolvedValueOnce(page(codes.slice(200), null));
    const url = { search: () => '', push: () => {}, replace: () => {} };
    const store = new Store(url);
    await new Loaders(store).townships();
    expect(store.snapshot.loads.townships).toBe('ready');
    expect(store.data.townships.map((t) => t.code)).toEqual(codes);
    expect(graphqlRequest.mock.calls.map((call) => call[1].after)).toEqual([null, 'c1', 'c2']);
  });
});
