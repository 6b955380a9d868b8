// Drives one GraphQL server with autocannon for bench_load.py: `node load.mjs config.json` prints one JSON result.
// config: {url, headers, connections, duration, requests: [{name, bodies: [JSON string, ...]}]}.
// The connections send the visit's requests in turn, again and again, each request taking its bodies in turn. A response counts as an error when its status is not 200,
// the connection fails or times out, or its body carries GraphQL errors.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import PipelinedRequestsQueue from 'autocannon/lib/pipelinedRequestsQueue.js';

// autocannon appends every chunk of every answer to a string: decoding a 1.6 MB gzipped map layer as
// UTF-8, 30 times a second, made the load generator the bottleneck (one core at 90 %+ while the servers
// idled). Only the start of an answer is kept, enough to see an error, and its size is counted.
const KEPT = 64 * 1024;
let answerBytes = 0; // of the answer just ended: onResponse runs right after terminateRequest
PipelinedRequestsQueue.prototype.addBody = function addBody(data) {
  const req = this.peek();
  if (!req) return;
  req.bodyBytes = (req.bodyBytes ?? 0) + data.length;
  if (req.body.length < KEPT) req.body += data.subarray(0, KEPT - req.body.length).toString('latin1');
};
const terminateRequest = PipelinedRequestsQueue.prototype.terminateRequest;
PipelinedRequestsQueue.prototype.terminateRequest = function ended() {
  const req = terminateRequest.call(this);
  answerBytes = req?.bodyBytes ?? 0;
  return req;
};

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const kinds = config.requests.map((r) => ({ name: r.name, times: [], errors: 0, bytes: 0, next: 0 }));
const all = [];
let graphqlErrors = 0;
let firstError = null;

// One request template whose body is the next of the visit's requests, counted over every connection:
// the mix keeps its proportions however few visits a slow server completes.
let sent = 0;
const requests = [{
  method: 'POST',
  path: new URL(config.url).pathname,
  setupRequest(req, context) {
    const i = sent++ % kinds.length;
    const kind = kinds[i];
    const bodies = config.requests[i].bodies;
    context.kind = i;
    context.started = performance.now();
    return { ...req, body: bodies[kind.next++ % bodies.length] };
  },
  onResponse(status, body, context) {
    const kind = kinds[context.kind];
    const ms = performance.now() - context.started;
    kind.times.push(ms);
    kind.bytes += answerBytes;
    // GraphQL errors come with HTTP 200: look for them in the body (a data answer never starts with them).
    if (status !== 200 || body.startsWith('{"errors"') || body.includes('"errors":[{')) {
      kind.errors += 1;
      graphqlErrors += status === 200 ? 1 : 0;
      firstError ??= `${kind.name}: HTTP ${status} ${body.slice(0, 300)}`;
    }
  },
}];

const instance = autocannon({
  url: config.url,
  connections: config.connections,
  duration: config.duration,
  timeout: 30,
  headers: { 'content-type': 'application/json', ...config.headers },
  requests,
});
instance.on('response', (_client, _status, _bytes, responseTime) => all.push(responseTime));

const pct = (xs, p) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

instance.on('done', (result) => {
  const out = {
    requests: result.requests.total,
    seconds: result.duration,
    rps: result.requests.total / result.duration,
    errors: result.errors + result.timeouts + result.non2xx + graphqlErrors,
    transportErrors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    graphqlErrors,
    firstError,
    p50: pct(all, 50),
    p95: pct(all, 95),
    p99: pct(all, 99),
    bytesPerSecond: result.throughput.average,
    kinds: kinds.map((k) => ({ name: k.name, count: k.times.length, p50: pct(k.times, 50), p95: pct(k.times, 95),
      errors: k.errors, kbPerResponse: k.times.length ? k.bytes / k.times.length / 1024 : 0 })),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
});
