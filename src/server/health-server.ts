import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from '../observability/metrics.js';

export interface HealthChecks {
  /** The process can make progress (false only when it should be restarted). */
  live: () => boolean;
  /** The replica can do its job: caches synced while leading, or waiting as a standby. */
  ready: () => boolean;
}

/** `/healthz`, `/readyz` and `/metrics` on one port. */
export async function startHealthServer(
  address: { host: string; port: number },
  checks: HealthChecks,
  metrics: Metrics,
): Promise<{ server: FastifyInstance; port: number }> {
  const server = Fastify({ logger: false, bodyLimit: 1024 });
  server.get('/healthz', async (_request, reply) => {
    const ok = checks.live();
    return reply
      .code(ok ? 200 : 500)
      .type('text/plain')
      .send(ok ? 'ok' : 'unhealthy');
  });
  server.get('/readyz', async (_request, reply) => {
    const ok = checks.ready();
    return reply
      .code(ok ? 200 : 503)
      .type('text/plain')
      .send(ok ? 'ok' : 'not ready');
  });
  server.get('/metrics', async (_request, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  await server.listen({ host: address.host, port: address.port });
  const bound = server.server.address();
  return { server, port: typeof bound === 'object' && bound ? bound.port : address.port };
}
