import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type IssueChangeEvent, LiveIssues, type LiveSocket } from './live';

/** A server's end of the graphql-transport-ws conversation, driven by the test. */
class FakeSocket implements LiveSocket {
  readyState = 0;
  sent: Array<{ type: string; id?: string; payload?: { query?: string } }> = [];
  onopen: ((ev: Event) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onclose: ((ev: CloseEvent) => unknown) | null = null;

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.drop();
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
    this.server({ type: 'connection_ack' });
  }

  server(message: object): void {
    this.onmessage?.({ data: JSON.stringify(message) } as MessageEvent);
  }

  drop(): void {
    this.readyState = 3;
    this.onclose?.({} as CloseEvent);
  }

  subscriptions(): string[] {
    return this.sent.filter((m) => m.type === 'subscribe').map((m) => m.id!);
  }
}

const ISSUE: IssueChangeEvent['issue'] = {
  id: 'SXNzdWU6MQ==',
  number: 'WS-1',
  status: 'DISPATCHED',
  warningColor: 'GREEN',
  enterprise: { id: 'RW50ZXJwcmlzZTox' },
};

function setUp() {
  const sockets: FakeSocket[] = [];
  const onChange = vi.fn();
  const onResync = vi.fn();
  const onStatus = vi.fn();
  const live = new LiveIssues('ws://test/graphql', { onChange, onResync, onStatus }, () => {
    const socket = new FakeSocket();
    sockets.push(socket);
    return socket;
  });
  live.start();
  sockets[0]!.open();
  return { live, sockets, onChange, onResync, onStatus };
}

describe('LiveIssues', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('asks for resync events and passes changes on, without a refetch at the start', () => {
    const { sockets, onChange, onResync, onStatus } = setUp();
    const [id] = sockets[0]!.subscriptions();
    expect(sockets[0]!.sent.find((m) => m.type === 'subscribe')!.payload!.query).toContain('issueChanged(resync: true)');
    sockets[0]!.server({ id, type: 'next', payload: { data: { issueChanged: { action: 'dispatch', version: 2, issue: ISSUE } } } });
    expect(onChange).toHaveBeenCalledWith({ action: 'dispatch', version: 2, issue: ISSUE });
    expect(onResync).not.toHaveBeenCalled();
    expect(onStatus).toHaveBeenLastCalledWith(true);
  });

  it('refetches on a resync event, and keeps the subscription', () => {
    const { sockets, onChange, onResync } = setUp();
    const [id] = sockets[0]!.subscriptions();
    sockets[0]!.server({ id, type: 'next', payload: { data: { issueChanged: { action: 'resync', version: null, issue: null } } } });
    expect(onResync).toHaveBeenCalledTimes(1);
    expect(onChange).not.toHaveBeenCalled();
    expect(sockets[0]!.subscriptions()).toHaveLength(1);
  });

  it('subscribes again after the server ends the subscription, then refetches', () => {
    const { sockets, onResync, onStatus } = setUp();
    const [id] = sockets[0]!.subscriptions();
    sockets[0]!.server({
      id,
      type: 'next',
      payload: { data: null, errors: [{ message: 'Live updates were interrupted', extensions: { code: 'LIVE_UPDATES_INTERRUPTED' } }] },
    });
    sockets[0]!.server({ id, type: 'complete' });
    expect(onStatus).toHaveBeenLastCalledWith(false);
    expect(onResync).not.toHaveBeenCalled(); // not yet: a refetch now could miss what comes before the new subscription

    vi.advanceTimersByTime(1000);
    const ids = sockets[0]!.subscriptions();
    expect(ids).toHaveLength(2);
    expect(ids[1]).not.toBe(id);
    expect(onStatus).toHaveBeenLastCalledWith(true);
    expect(onResync).toHaveBeenCalledTimes(1);

    // Late messages of the old subscription are not taken for the new one's.
    sockets[0]!.server({ id, type: 'next', payload: { data: { issueChanged: { action: 'resync', version: null, issue: null } } } });
    expect(onResync).toHaveBeenCalledTimes(1);
  });

  it('reconnects after the socket drops and refetches once subscribed again', () => {
    const { sockets, onResync, onStatus } = setUp();
    sockets[0]!.drop();
    expect(onStatus).toHaveBeenLastCalledWith(false);
    vi.advanceTimersByTime(1000);
    expect(sockets).toHaveLength(2);
    expect(onResync).not.toHaveBeenCalled();
    sockets[1]!.open();
    expect(sockets[1]!.subscriptions()).toHaveLength(1);
    expect(onResync).toHaveBeenCalledTimes(1);
    expect(onStatus).toHaveBeenLastCalledWith(true);
  });

  it('stops for good: no reconnect and no resubscription', () => {
    const { live, sockets, onResync } = setUp();
    const [id] = sockets[0]!.subscriptions();
    sockets[0]!.server({ id, type: 'error', payload: [{ message: 'nope' }] });
    live.stop();
    vi.advanceTimersByTime(60000);
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.subscriptions()).toHaveLength(1);
    expect(onResync).not.toHaveBeenCalled();
  });
});
