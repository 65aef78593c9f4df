import { isDeepStrictEqual } from 'node:util';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { PolicyRule } from './api/common.js';
import type { AgentIdentity, AgentPolicy } from './api/resources.js';
import { autonomyOf } from './authz/decisions.js';
import { AgentIndex } from './behavior/agent-index.js';
import { capabilitiesOf } from './behavior/capabilities.js';
import { BehaviorEngine, type AgentProfile } from './behavior/engine.js';
import { thresholdsOf } from './behavior/response.js';
import { startVaultAuditListener } from './behavior/vault-audit-listener.js';
import { parseGoDuration } from './api/duration.js';
import type { BehaviorConfig } from './config/config.js';
import { decideLifecycle } from './controllers/agent-identity/lifecycle.js';
import { AGENT_SA_PREFIX, childNames } from './controllers/agent-identity/names.js';
import { resolvePolicies } from './controllers/agent-identity/policies.js';
import { BehaviorResponder } from './controllers/behavior/responder.js';
import { BehaviorStatusWriter } from './controllers/behavior/status-writer.js';
import type { Logger } from './observability/logger.js';
import { describeError } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { EventRecorder } from './runtime/events.js';
import { objectKey, type Informer } from './runtime/informer.js';
import type { KubeApi } from './runtime/kube-api.js';
import { startWebhookServer } from './server/webhook-server.js';

export interface BehaviorRuntimeOptions {
  config: BehaviorConfig;
  allowedClusterRoles: ReadonlySet<string>;
  api: KubeApi;
  logger: Logger;
  metrics: Metrics;
  events: EventRecorder;
  identities: Informer<AgentIdentity>;
  policies: Informer<AgentPolicy>;
  contain: (identity: AgentIdentity) => Promise<void>;
  requeue: (key: string) => void;
}

const TOKEN_CACHE_MS = 30_000;
const TOKEN_REVIEWS_PER_SECOND = 50;
const CLUSTER_ROLE_RELOAD_MS = 60_000;

/**
 * Everything behind "watch what each agent does": the engine, the index from
 * ServiceAccounts and Vault entities to agents, the status writer and the responder, and the
 * endpoints that feed them. Wired by the operator on the leader.
 */
export class BehaviorRuntime {
  readonly index = new AgentIndex();
  readonly engine: BehaviorEngine;
  readonly responder: BehaviorResponder;
  private readonly writer: BehaviorStatusWriter;
  private readonly clusterRoleRules = new Map<string, PolicyRule[]>();
  private readonly tokens = new Map<
    string,
    { at: number; result: { authenticated: boolean; username?: string } }
  >();
  private webhook: FastifyInstance | undefined;
  private rolesTimer: NodeJS.Timeout | undefined;
  private reviewWindowStart = 0;
  private reviewsInWindow = 0;
  private closeVaultAudit: (() => Promise<void>) | undefined;
  webhookPort = 0;
  vaultAuditPort = 0;

  constructor(private readonly options: BehaviorRuntimeOptions) {
    this.writer = new BehaviorStatusWriter(options.api, options.config.statusIntervalMs);
    this.responder = new BehaviorResponder({
      writer: this.writer,
      events: options.events,
      metrics: options.metrics,
      logger: options.logger,
      identity: (key) => options.identities.getByKey(key),
      contain: options.contain,
      requeue: options.requeue,
    });
    this.engine = new BehaviorEngine({
      bucketMs: options.config.bucketMs,
      spanMs: options.config.spanMs,
      evaluateEveryMs: options.config.evaluateEveryMs,
      onResponse: (snapshot, reason) => {
        this.responder.onResponse(snapshot, reason);
      },
      onEvaluated: (snapshot) => {
        this.responder.onEvaluated(snapshot);
      },
    });
  }

  /**
   * Loads the allow-listed ClusterRoles' rules (part of what bound agents may do); true when
   * they changed. Aggregated roles change when other roles are installed, so this runs again
   * every minute (the operator may `get` these roles but not watch them).
   */
  async loadClusterRoles(): Promise<boolean> {
    let changed = false;
    for (const name of this.options.allowedClusterRoles) {
      try {
        const role = await this.options.api.get<{ rules?: PolicyRule[] }>(
          `/apis/rbac.authorization.k8s.io/v1/clusterroles/${encodeURIComponent(name)}`,
        );
        const rules = role.rules ?? [];
        if (!isDeepStrictEqual(this.clusterRoleRules.get(name), rules)) changed = true;
        this.clusterRoleRules.set(name, rules);
      } catch (error) {
        this.options.logger.warn('could not read an allow-listed ClusterRole', {
          name,
          error: describeError(error),
        });
      }
    }
    return changed;
  }

  /** Keeps the engine's and the index's view of one agent current. */
  refresh(identity: AgentIdentity): void {
    const key = objectKey(identity);
    if (identity.metadata.deletionTimestamp) {
      this.forget(key);
      return;
    }
    this.writer.seed(identity);
    const names = childNames(identity);
    this.index.set(
      key,
      { namespace: identity.metadata.namespace, name: names.serviceAccount },
      identity.status?.owned?.vaultEntityId,
    );
    this.engine.setProfile(this.profileOf(identity));
  }

  forget(key: string): void {
    this.index.remove(key);
    this.engine.removeAgent(key);
    this.writer.forget(key);
  }

  private profileOf(identity: AgentIdentity): AgentProfile {
    const { found } = resolvePolicies(identity, (ns, name) => this.options.policies.get(ns, name));
    const bound = [...new Set(found.flatMap((p) => p.spec.kubernetes?.clusterRoles ?? []))].filter(
      (n) => this.options.allowedClusterRoles.has(n),
    );
    const restricted = identity.status?.behavior?.response === 'Restrict';
    const clusterRules = restricted ? [] : bound.flatMap((n) => this.clusterRoleRules.get(n) ?? []);
    const windows = found
      .map((p) => p.spec.behavior?.learningWindow)
      .filter((w): w is string => w !== undefined)
      .map(parseGoDuration);
    const containment = decideLifecycle(identity, new Date()).containment;
    return {
      key: objectKey(identity),
      capabilities: capabilitiesOf(identity.metadata.namespace, found, clusterRules),
      thresholds: thresholdsOf(found),
      learningWindowMs: windows.length
        ? Math.max(...windows)
        : this.options.config.defaultLearningWindowMs,
      contained: containment === 'None' ? undefined : containment,
      baseline: identity.status?.behavior?.baseline,
    };
  }

  /** The behaviour status last written for an agent (fresher than the cache). */
  recordOf(key: string): ReturnType<BehaviorStatusWriter['recordOf']> {
    return this.writer.recordOf(key);
  }

  async onRelease(identity: AgentIdentity, by: string): Promise<void> {
    await this.responder.release(this.engine, objectKey(identity), by);
  }

  /** Starts the engine and the endpoints; `loadClusterRoles` must have run first. */
  async start(): Promise<void> {
    this.engine.start();
    this.rolesTimer = setInterval(() => {
      void this.loadClusterRoles().then((changed) => {
        if (changed) for (const identity of this.options.identities.list()) this.refresh(identity);
      });
    }, CLUSTER_ROLE_RELOAD_MS);
    this.rolesTimer.unref();
    const { config } = this.options;
    if (config.webhook) {
      const { server, port } = await startWebhookServer(
        config.webhook,
        {
          cert: readFileSync(config.webhook.certFile, 'utf8'),
          key: readFileSync(config.webhook.keyFile, 'utf8'),
          clientCa: readFileSync(config.webhook.clientCaFile, 'utf8'),
        },
        {
          engine: this.engine,
          index: this.index,
          agentState: (key) => this.agentState(key),
          reviewToken: async (token) => this.reviewToken(token),
          agentPrefix: AGENT_SA_PREFIX,
          metrics: this.options.metrics,
          logger: this.options.logger,
        },
      );
      this.webhook = server;
      this.webhookPort = port;
      this.options.logger.info(
        'serving the authorization and audit webhooks and the decision API',
        { port },
      );
    }
    if (config.vaultAudit) {
      const { close, port } = await startVaultAuditListener(
        config.vaultAudit,
        config.vaultAudit.allowedSources,
        {
          engine: this.engine,
          index: this.index,
          metrics: this.options.metrics,
          logger: this.options.logger,
        },
      );
      this.closeVaultAudit = close;
      this.vaultAuditPort = port;
      this.options.logger.info('listening for the Vault audit device', { port });
    }
  }

  async stop(): Promise<void> {
    this.engine.stop();
    clearInterval(this.rolesTimer);
    await this.webhook?.close();
    await this.closeVaultAudit?.();
  }

  private agentState(
    key: string,
  ): ReturnType<Parameters<typeof startWebhookServer>[2]['agentState']> {
    const identity = this.options.identities.getByKey(key);
    if (!identity) return undefined;
    const { found } = resolvePolicies(identity, (ns, name) => this.options.policies.get(ns, name));
    const containment = decideLifecycle(identity, new Date()).containment;
    return {
      autonomy: autonomyOf(found),
      contained: containment === 'None' ? undefined : containment,
    };
  }

  /** TokenReview, with answers cached briefly by the token's hash (never the token itself). */
  private async reviewToken(
    token: string,
  ): Promise<{ authenticated: boolean; username?: string; throttled?: boolean }> {
    const hash = createHash('sha256').update(token).digest('hex');
    const cached = this.tokens.get(hash);
    const now = Date.now();
    if (cached && now - cached.at < TOKEN_CACHE_MS) return cached.result;
    // Each unknown token costs the API server a TokenReview: a flood of made-up tokens is
    // refused here rather than passed on.
    if (now - this.reviewWindowStart >= 1000) {
      this.reviewWindowStart = now;
      this.reviewsInWindow = 0;
    }
    if (++this.reviewsInWindow > TOKEN_REVIEWS_PER_SECOND)
      return { authenticated: false, throttled: true };
    const review = await this.options.api.create<{
      status?: { authenticated?: boolean; user?: { username?: string } };
    }>('/apis/authentication.k8s.io/v1/tokenreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token },
    });
    const result = {
      authenticated: review.status?.authenticated === true,
      ...(review.status?.user?.username ? { username: review.status.user.username } : {}),
    };
    if (this.tokens.size > 10_000) this.tokens.clear();
    this.tokens.set(hash, { at: Date.now(), result });
    return result;
  }
}
