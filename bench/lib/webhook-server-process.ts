// The operator's webhook server alone, in its own process (one core), with a behaviour
// engine holding AGENTS agents. Prints its port, then serves until killed. A no-op POST
// route on the same server gives the baseline cost of TLS, HTTP and JSON parsing, and each
// route's handler time (fastify's own measure) is kept for /bench-stats.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { AgentIndex } from '../../src/behavior/agent-index.js';
import { capabilitiesOf } from '../../src/behavior/capabilities.js';
import { BehaviorEngine } from '../../src/behavior/engine.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { startWebhookServer } from '../../src/server/webhook-server.js';
import { percentiles } from './stats.js';

const [certDir, agentCount = '10000'] = process.argv.slice(2);
if (!certDir) throw new Error('usage: webhook-server-process.ts CERT_DIR [AGENTS]');
const agents = Number(agentCount);

const metrics = new Metrics({ processMetrics: false });
let evaluations = 0;
const engine = new BehaviorEngine({
  bucketMs: 60_000,
  spanMs: 300_000,
  evaluateEveryMs: 250,
  onResponse: () => undefined,
  onEvaluated: () => {
    evaluations++;
  },
});
const index = new AgentIndex();
const policy = {
  apiVersion: 'agentidentity.io/v1alpha1',
  kind: 'AgentPolicy' as const,
  metadata: { name: 'p', namespace: 'x' },
  spec: {
    kubernetes: {
      rules: [
        {
          apiGroups: [''],
          resources: ['configmaps', 'secrets'],
          verbs: ['get' as const, 'list' as const],
        },
      ],
    },
  },
};
for (let i = 0; i < agents; i++) {
  const namespace = `team-${String(i % 100)}`;
  const key = `${namespace}/agent-${String(i)}`;
  index.set(key, { namespace, name: `agent-${String(i)}` }, undefined);
  engine.setProfile({
    key,
    capabilities: capabilitiesOf(namespace, [policy], []),
    thresholds: { alert: 0.5, restrict: 0.7, quarantine: 0.9 },
    learningWindowMs: 60_000,
    contained: undefined,
    baseline: undefined,
  });
}
engine.start();

const timings = new Map<string, number[]>();
const extraRoutes = (server: FastifyInstance): void => {
  server.post('/noop', { bodyLimit: 64 * 1024 }, (_request, reply) => {
    void reply.send({ ok: true });
  });
  server.get('/bench-stats', async (_request, reply) => {
    const out: Record<string, unknown> = Object.fromEntries(
      [...timings].map(([route, list]) => [route, percentiles(list)]),
    );
    out.auditKept =
      (await metrics.auditEvents.get()).values.find((v) => v.labels.kept === 'true')?.value ?? 0;
    out.evaluations = evaluations;
    timings.clear();
    return reply.send(out);
  });
  server.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? '?';
    const list = timings.get(route) ?? [];
    list.push(reply.elapsedTime);
    timings.set(route, list);
    done();
  });
};

const { port } = await startWebhookServer(
  { host: '127.0.0.1', port: 0 },
  {
    cert: readFileSync(`${certDir}/webhook.crt`, 'utf8'),
    key: readFileSync(`${certDir}/webhook.key`, 'utf8'),
    clientCa: readFileSync(`${certDir}/webhook-client-ca.crt`, 'utf8'),
  },
  {
    engine,
    index,
    agentState: () => undefined,
    reviewToken: async () => Promise.resolve({ authenticated: false }),
    agentPrefix: 'agent-',
    metrics,
    logger: silentLogger(),
    extraRoutes,
  },
);
process.stdout.write(`${String(port)}\n`);
