// Authorization webhook benchmark: the operator's /authorize handler against a no-op POST
// on the same HTTPS server (same TLS, HTTP and JSON parsing), the server alone in its own
// process (one core) with 10,000 agents loaded. Prints decisions per second (closed loop,
// 32 connections) and, at a fixed 2,000 requests per second, p50 / p99 latency as the client
// sees it and as the handler measures it.
//   npx tsx bench/authz-webhook.ts
import { request } from 'node:https';
import { startBenchWebhookServer } from './lib/webhook-server.js';
import { percentiles } from './lib/stats.js';

const bench = await startBenchWebhookServer(64);
const { port, agent } = bench;

function review(i: number): string {
  const n = i % 10_000;
  const namespace = `team-${String(n % 100)}`;
  return JSON.stringify({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: `system:serviceaccount:${namespace}:agent-${String(n)}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
      resourceAttributes: { namespace, verb: 'list', version: 'v1', resource: 'configmaps' },
    },
  });
}

async function send(path: string, body: string): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${path}: HTTP ${String(res.statusCode)}`));
          else resolve(Number(process.hrtime.bigint() - started) / 1e6);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function closedLoop(path: string, seconds: number): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: 32 }, async (_v, worker) => {
      for (let i = worker; Date.now() < until; i += 32) {
        await send(path, review(i));
        done++;
      }
    }),
  );
  return Math.round(done / seconds);
}

async function fixedRate(path: string, perSecond: number, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const perTick = perSecond / 200;
  const start = Date.now();
  for (let tick = 0; tick < seconds * 200; tick++) {
    for (let j = 0; j < perTick; j++)
      pending.push(send(path, review(tick * perTick + j)).then((ms) => void latencies.push(ms)));
    const next = start + (tick + 1) * 5;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
  }
  await Promise.all(pending);
  return latencies;
}

async function handlerStats(): Promise<Record<string, { p50: number; p99: number }>> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/bench-stats', agent }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        resolve(JSON.parse(text) as Record<string, { p50: number; p99: number }>);
      });
    })
      .on('error', reject)
      .end();
  });
}

try {
  await closedLoop('/noop', 1); // warm up
  await closedLoop('/authorize', 1);
  await handlerStats();
  console.log('Authorization webhook, server on one core, 10,000 agents loaded');
  for (const path of ['/noop', '/authorize']) {
    console.log(
      `  ${path.padEnd(11)} ${String(await closedLoop(path, 5))} requests/s (32 connections, closed loop)`,
    );
  }
  await handlerStats();
  for (const path of ['/noop', '/authorize']) {
    const client = percentiles(await fixedRate(path, 2000, 5));
    const handler = (await handlerStats())[path];
    console.log(
      `  ${path.padEnd(11)} at 2,000/s: client p50 ${String(client.p50)} ms, p99 ${String(client.p99)} ms; handler p50 ${String(handler?.p50)} ms, p99 ${String(handler?.p99)} ms (${String(client.count)} requests)`,
    );
  }
} finally {
  bench.stop();
}
