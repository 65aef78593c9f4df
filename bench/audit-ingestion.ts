// Audit ingestion benchmark: the API server's audit webhook sends EventList batches; this
// sends 200,000 agent events in batches of 400 (4 in flight, as a busy API server would) to
// the webhook server (its own process, 10,000 agents) and prints events per second, checking
// that every event was kept and scored.
//   npx tsx bench/audit-ingestion.ts
import { request } from 'node:https';
import { startBenchWebhookServer } from './lib/webhook-server.js';

const TOTAL = 200_000;
const BATCH = 400;

const bench = await startBenchWebhookServer(8);
const { port, agent } = bench;

function batch(offset: number): string {
  const items = Array.from({ length: BATCH }, (_v, i) => {
    const n = (offset + i) % 10_000;
    const namespace = `team-${String(n % 100)}`;
    return {
      level: 'Metadata',
      auditID: String(offset + i),
      stage: 'ResponseComplete',
      verb: 'list',
      user: { username: `system:serviceaccount:${namespace}:agent-${String(n)}` },
      objectRef: { resource: 'configmaps', namespace, apiVersion: 'v1' },
      responseStatus: { code: 200 },
      stageTimestamp: new Date().toISOString(),
    };
  });
  return JSON.stringify({ apiVersion: 'audit.k8s.io/v1', kind: 'EventList', items });
}

async function post(path: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: body ? 'POST' : 'GET',
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          if (res.statusCode === 200) resolve(text);
          else reject(new Error(`HTTP ${String(res.statusCode)}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body || undefined);
  });
}

try {
  const bodies = Array.from({ length: TOTAL / BATCH }, (_v, i) => batch(i * BATCH));
  await post('/bench-stats', '');
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < bodies.length) await post('/audit', bodies[next++] ?? '');
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 600)); // one evaluation round
  const stats = JSON.parse(await post('/bench-stats', '')) as {
    auditKept: number;
    evaluations: number;
  };
  console.log('Audit ingestion, server on one core, 10,000 agents');
  console.log(
    `  ${String(Math.round(TOTAL / seconds))} events/s (${String(TOTAL)} events in batches of ${String(BATCH)}, ${seconds.toFixed(1)} s)`,
  );
  console.log(
    `  kept ${String(stats.auditKept)} of ${String(TOTAL)} (${stats.auditKept === TOTAL ? 'no drops' : 'DROPS'}); ${String(stats.evaluations)} agent windows scored`,
  );
} finally {
  bench.stop();
}
