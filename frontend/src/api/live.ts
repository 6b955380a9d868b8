/** Minimal graphql-transport-ws client for the issueChanged subscription, reconnecting with backoff. */

export interface IssueChangeEvent {
  action: string;
  version: number;
  issue: { id: string; number: string; status: string; warningColor: string | null; enterprise: { id: string } };
}

export const ISSUE_CHANGED = /* GraphQL */ `
  subscription Live { issueChanged { action version issue { id number status warningColor enterprise { id } } } }`;

export function wsUrl(loc: Location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/graphql`;
}

export class LiveIssues {
  private socket: WebSocket | null = null;
  private retry = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly url: string,
    private readonly onChange: (e: IssueChangeEvent) => void,
    private readonly onStatus: (connected: boolean) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Close the subscription for good (sign-out): no reconnect, not even one already scheduled. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close();
    this.socket = null;
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.url, 'graphql-transport-ws');
    this.socket = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    ws.onmessage = (msg) => {
      let data: { type: string; id?: string; payload?: { data?: { issueChanged?: IssueChangeEvent } } };
      try {
        data = JSON.parse(String(msg.data));
      } catch {
        return;
      }
      if (data.type === 'connection_ack') {
        this.retry = 0;
        this.onStatus(true);
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: ISSUE_CHANGED } }));
      } else if (data.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong' }));
      } else if (data.type === 'next' && data.payload?.data?.issueChanged) {
        this.onChange(data.payload.data.issueChanged);
      }
    };
    ws.onclose = () => {
      if (this.stopped) return;
      this.onStatus(false);
      const delay = Math.min(30000, 1000 * 2 ** this.retry++);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }
}
