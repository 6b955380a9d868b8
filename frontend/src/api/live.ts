/**
 * Minimal graphql-transport-ws client for the issueChanged subscription, reconnecting with backoff.
 *
 * Live updates can have gaps: the WebSocket drops, the server ends the subscription (the error
 * LIVE_UPDATES_INTERRUPTED), or the server sends a `resync` event because changes may have been
 * missed (a Redis outage). After any gap `onResync` runs once the subscription is live again, so
 * that the page refetches what it shows instead of showing what may be stale.
 */
import { graphql } from './generated';
import type { LiveSubscription } from './generated/graphql';

/** What the server sends: a change, or (action `resync`, no issue) "refetch, you may have missed changes". */
type IssueChangePayload = LiveSubscription['issueChanged'];

/** A change to one issue: a payload that has its issue. */
export type IssueChangeEvent = IssueChangePayload & { issue: NonNullable<IssueChangePayload['issue']> };

export const ISSUE_CHANGED = graphql(`
  subscription Live {
    issueChanged(resync: true) { action version issue { id number status warningColor enterprise { id } } }
  }
`);

export function wsUrl(loc: Location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/graphql`;
}

export interface LiveHandlers {
  onChange: (e: IssueChangeEvent) => void;
  /** Changes may have been missed: refetch everything shown. */
  onResync: () => void;
  /** Whether changes are arriving now (false from a gap until the subscription is back). */
  onStatus: (live: boolean) => void;
}

/** The part of WebSocket this client uses (tests give a fake). */
export type LiveSocket = Pick<WebSocket, 'send' | 'close'> & {
  readyState: number;
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
};

interface ServerMessage {
  type: string;
  id?: string;
  payload?: { data?: { issueChanged?: IssueChangePayload | null } | null; errors?: unknown[] };
}

const OPEN = 1; // WebSocket.OPEN, which Node (the unit tests) does not define

export class LiveIssues {
  private socket: LiveSocket | null = null;
  private retry = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastId = 0;
  private current: string | null = null; // the id of the subscription that is live, if any
  private subscribed = false; // a subscription was live since start(): a new one follows a gap

  constructor(
    private readonly url: string,
    private readonly handlers: LiveHandlers,
    private readonly openSocket: (url: string) => LiveSocket = (url) => new WebSocket(url, 'graphql-transport-ws'),
  ) {}

  start(): void {
    this.stopped = false;
    this.subscribed = false;
    this.connect();
  }

  /** Close the subscription for good (sign-out): no reconnect, not even one already scheduled. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.current = null;
    this.socket?.close();
    this.socket = null;
  }

  private backoff(): number {
    return Math.min(30000, 1000 * 2 ** this.retry++);
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = this.openSocket(this.url);
    this.socket = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    ws.onmessage = (msg) => {
      let data: ServerMessage;
      try {
        data = JSON.parse(String(msg.data));
      } catch {
        return;
      }
      if (data.type === 'connection_ack') {
        this.retry = 0;
        this.subscribe(ws);
      } else if (data.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong' }));
      } else if (data.id !== undefined && data.id === this.current) {
        this.onResult(ws, data);
      }
    };
    ws.onclose = () => {
      if (this.socket !== ws) return;
      this.socket = null;
      this.current = null;
      if (this.stopped) return;
      this.handlers.onStatus(false);
      this.timer = setTimeout(() => this.connect(), this.backoff());
    };
  }

  private subscribe(ws: LiveSocket): void {
    if (this.stopped || this.socket !== ws || ws.readyState !== OPEN) return;
    this.current = String(++this.lastId);
    ws.send(JSON.stringify({ id: this.current, type: 'subscribe', payload: { query: ISSUE_CHANGED.toString() } }));
    this.handlers.onStatus(true);
    // Whatever changed while there was no subscription never comes as an event: refetch it.
    if (this.subscribed) this.handlers.onResync();
    this.subscribed = true;
  }

  private onResult(ws: LiveSocket, data: ServerMessage): void {
    if (data.type === 'next' && !data.payload?.errors) {
      const change = data.payload?.data?.issueChanged;
      if (!change) return;
      this.retry = 0;
      if (change.action === 'resync' || change.issue === null) this.handlers.onResync();
      else this.handlers.onChange(change as IssueChangeEvent);
      return;
    }
    // An error result, an error or a complete: the server ended the subscription (interrupted live
    // updates, a spent budget, an ended session). Subscribe again after a while, on this socket.
    this.current = null;
    this.handlers.onStatus(false);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.subscribe(ws), this.backoff());
  }
}
