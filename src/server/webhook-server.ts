import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AgentIndex } from '../behavior/agent-index.js';
import type { BehaviorEngine } from '../behavior/engine.js';
import { parseServiceAccountUser } from '../behavior/observation.js';
import { fromAuditEvent } from '../behavior/sources.js';
import { isObject } from '../behavior/untrusted.js';
import { decide, type Autonomy, type DecisionRequest } from '../authz/decisions.js';
import { NO_OPINION, parseReview, reviewResponse } from '../authz/subject-access-review.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export interface WebhookDependencies {
  engine: BehaviorEngine;
  index: AgentIndex;
  /** The agent's autonomy and containment, for the decision API. */
  agentState: (
    agentKey: string,
  ) => { autonomy: Autonomy; contained: string | undefined } | undefined;
  /** TokenReview: who a bearer token belongs to. */
  reviewToken: (
    token: string,
  ) => Promise<{ authenticated: boolean; username?: string; throttled?: boolean }>;
  agentPrefix: string;
  metrics: Metrics;
  logger: Logger;
  /** Extra routes registered before listening (benchmarks add a no-op route to compare). */
  extraRoutes?: (server: FastifyInstance) => void;
}

export interface WebhookTls {
  cert: string;
  key: string;
  /** CA of the client certificates the API server presents (authorization and audit). */
  clientCa: string;
}

const decisionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['action', 'confidence'],
  properties: {
    action: { type: 'string', minLength: 1, maxLength: 253 },
    resource: { type: 'string', maxLength: 1024 },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    agent: { type: 'string', maxLength: 317 },
  },
} as const;

/** The decision API speaks JSON only; anything else is refused before it is parsed. */
function requireJson(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    void reply.code(415).send({ error: 'send the request as application/json' });
    return;
  }
  done();
}

/** Only a client certificate signed by the configured CA may call the API server's webhooks. */
function requireClientCertificate(
  request: FastifyRequest,
  reply: FastifyReply,
  done: () => void,
): void {
  const socket = request.raw.socket as TLSSocket;
  // A verified handshake, and a certificate actually presented on this connection.
  const presented = Object.keys(socket.getPeerCertificate()).length > 0;
  if (!socket.authorized || !presented) {
    void reply.code(401).send({ error: 'a client certificate from the trusted CA is required' });
    return;
  }
  done();
}

/** The agent a decision-API caller is, proven by its ServiceAccount token (TokenReview). */
async function callerAgent(
  header: string | undefined,
  deps: WebhookDependencies,
): Promise<{ agent: string } | { code: number; error: string }> {
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
  if (!token) return { code: 401, error: 'send the agent ServiceAccount token as a Bearer token' };
  const review = await deps.reviewToken(token);
  if (review.throttled)
    return { code: 429, error: 'too many unknown tokens; try again in a second' };
  if (!review.authenticated) return { code: 401, error: 'the token was not accepted' };
  const sa = parseServiceAccountUser(review.username ?? '');
  const agent = sa ? deps.index.byServiceAccountName(sa.namespace, sa.name) : undefined;
  return agent ? { agent } : { code: 403, error: 'the caller is not an agent identity' };
}

/**
 * The operator's HTTPS endpoints for what agents do: the API server's authorization webhook
 * (`/authorize`), its audit webhook (`/audit`), and the decision API (`/v1/decisions`) for
 * agent runtimes. TLS always; the webhooks authenticate the API server by client
 * certificate, the decision API authenticates the agent by its ServiceAccount token.
 */
export async function startWebhookServer(
  address: { host: string; port: number },
  tls: WebhookTls,
  deps: WebhookDependencies,
): Promise<{ server: FastifyInstance; port: number }> {
  const server = Fastify({
    logger: false,
    bodyLimit: 16 * 1024,
    // Validate as written: no type coercion (`true` is not a confidence) and no silent
    // removal of unknown fields (they are refused).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    https: {
      cert: tls.cert,
      key: tls.key,
      ca: tls.clientCa,
      requestCert: true,
      rejectUnauthorized: false,
    },
  });

  // The hot path: synchronous, no I/O. Non-resource requests (discovery) and anything that
  // is not a known agent get "no opinion", so RBAC decides them as before.
  server.post(
    '/authorize',
    { onRequest: [requireClientCertificate, requireJson], bodyLimit: 64 * 1024 },
    (request, reply) => {
      const parsed = parseReview(request.body, deps.agentPrefix);
      const agent =
        parsed.kind === 'resource'
          ? deps.index.byServiceAccountName(
              parsed.serviceAccount.namespace,
              parsed.serviceAccount.name,
            )
          : undefined;
      if (parsed.kind !== 'resource' || !agent) {
        void reply.send(reviewResponse(NO_OPINION));
        return;
      }
      const verdict = deps.engine.authorize(agent, parsed.request);
      deps.metrics.authzDecisions.inc({
        decision: verdict.allow === 'deny' ? 'deny' : 'no-opinion',
      });
      void reply.send(
        reviewResponse(
          verdict.allow === 'deny'
            ? { allowed: false, denied: true, reason: verdict.reason }
            : NO_OPINION,
        ),
      );
    },
  );

  server.post(
    '/audit',
    { onRequest: [requireClientCertificate, requireJson], bodyLimit: 16 * 1024 * 1024 },
    async (request, reply) => {
      const items = (request.body as { items?: unknown[] } | null | undefined)?.items;
      if (!Array.isArray(items))
        return reply.code(400).send({ error: 'expected an audit.k8s.io/v1 EventList' });
      let kept = 0;
      for (const event of items) {
        if (!isObject(event)) continue;
        // One event the engine cannot take must not fail the batch: the API server would send
        // it again, and the events before it would be counted twice.
        try {
          const observation = fromAuditEvent(event, deps.index);
          if (!observation) continue;
          deps.engine.observe(observation);
          kept += 1;
        } catch (error) {
          deps.logger.warn('skipped an audit event the engine could not take', {
            error: error instanceof Error ? error.message : 'unknown',
          });
        }
      }
      deps.metrics.auditEvents.inc({ kept: 'true' }, kept);
      deps.metrics.auditEvents.inc({ kept: 'false' }, items.length - kept);
      return reply.code(200).send({});
    },
  );

  server.post(
    '/v1/decisions',
    { schema: { body: decisionSchema }, onRequest: requireJson },
    async (request, reply) => {
      const caller = await callerAgent(request.headers.authorization, deps);
      if ('error' in caller) return reply.code(caller.code).send({ error: caller.error });
      const { agent } = caller;
      const body = request.body as DecisionRequest & { agent?: string };
      if (body.agent !== undefined && body.agent !== agent) {
        return reply.code(403).send({ error: 'an agent may ask only for itself' });
      }
      const state = deps.agentState(agent);
      const snapshot = deps.engine.snapshot(agent);
      if (!state || !snapshot)
        return reply.code(403).send({ error: 'the caller is not an agent identity' });
      const decision = decide(body, state.autonomy, {
        contained: state.contained,
        level: snapshot.level,
        risk: snapshot.assessment.risk,
      });
      deps.engine.observe({
        agent,
        at: Date.now(),
        source: 'decision',
        verb: body.action,
        resource: body.resource ?? body.action,
        outcome: decision.decision === 'deny' ? 'denied' : 'ok',
      });
      deps.metrics.autonomyDecisions.inc({ decision: decision.decision });
      return { agent, ...decision };
    },
  );

  // Malformed, oversized or wrongly typed input gets its 4xx with fastify's message (which
  // names the problem, never echoes the body); anything else is a 500 without detail.
  server.setErrorHandler((error: { statusCode?: number; message?: string }, _request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) deps.logger.error('webhook request failed', { error: error.message });
    void reply
      .code(status)
      .send({ error: status >= 500 ? 'internal error' : (error.message ?? 'bad request') });
  });

  deps.extraRoutes?.(server);
  await server.listen({ host: address.host, port: address.port });
  const bound = server.server.address();
  return { server, port: typeof bound === 'object' && bound ? bound.port : address.port };
}
