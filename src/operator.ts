import type { FastifyInstance } from 'fastify';
import { LABELS, MANAGED_BY } from './api/constants.js';
import { PHASES } from './api/agent-identity.js';
import type { AgentIdentity, AgentPolicy } from './api/resources.js';
import type { OperatorConfig } from './config/config.js';
import { OWNER_INDEX, type ChildCaches } from './controllers/agent-identity/children.js';
import { owningIdentityUid } from './controllers/agent-identity/metadata.js';
import { referencedPolicyKeys } from './controllers/agent-identity/policies.js';
import { BehaviorRuntime } from './behavior-runtime.js';
import { BackendSteps } from './controllers/agent-identity/backends.js';
import { ChildSync } from './controllers/agent-identity/children.js';
import { childNames } from './controllers/agent-identity/names.js';
import { CredentialManager } from './controllers/agent-identity/credentials/manager.js';
import { AgentIdentityReconciler } from './controllers/agent-identity/reconciler.js';
import { createBackends } from './backends.js';
import { RateBudget } from './runtime/rate-budget.js';
import { AgentPolicyReconciler } from './controllers/agent-policy/reconciler.js';
import { AGENT_IDENTITY_TYPE, AGENT_POLICY_TYPE } from './controllers/resource-paths.js';
import { describeError, type Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import { Controller } from './runtime/controller.js';
import { KubeEventRecorder } from './runtime/events.js';
import { Informer, objectKey } from './runtime/informer.js';
import type { KubeApi, KubeObject } from './runtime/kube-api.js';
import { LeaderElector } from './runtime/leader-election.js';
import { markWebhookLeader } from './runtime/webhook-leader-label.js';
import { CORE, NETWORKING, RBAC, type ResourceType } from './runtime/paths.js';
import { startHealthServer } from './server/health-server.js';

const POLICY_INDEX = 'policy';
const MANAGED_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY}`;

/**
 * Wires the operator together: caches, controllers, leader election and the health server.
 * Nothing here decides anything about agents; that lives in the controllers.
 */
export class Operator {
  private readonly informers: { start(): Promise<void>; stop(): Promise<void> }[] = [];
  private readonly controllers: Controller[] = [];
  private elector: LeaderElector | undefined;
  private server: FastifyInstance | undefined;
  private started = false;
  private stopBackends: () => void = () => undefined;
  private phaseTimer: NodeJS.Timeout | undefined;
  private behavior: BehaviorRuntime | undefined;
  webhookPort = 0;
  private stopping = false;
  httpPort = 0;

  constructor(
    private readonly config: OperatorConfig,
    private readonly api: KubeApi,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    /** Called when leadership is lost: the process must exit so it cannot act as leader. */
    private readonly onFatal: (reason: string) => void,
  ) {}

  async start(): Promise<void> {
    const { server, port } = await startHealthServer(
      this.config.http,
      {
        live: () => !this.stopping,
        ready: () => !this.stopping && (!this.isLeading() || this.started),
      },
      this.metrics,
    );
    this.server = server;
    this.httpPort = port;
    this.logger.info('serving health and metrics', { port });

    const pod = this.webhookPod();
    if (pod) await markWebhookLeader(this.api, this.logger, pod, false);

    if (!this.config.leaderElection.enabled) {
      await this.startControllers();
      return;
    }
    const election = this.config.leaderElection;
    this.elector = new LeaderElector({
      api: this.api,
      namespace: this.config.namespace,
      leaseName: election.leaseName,
      identity: election.identity,
      leaseDurationMs: election.leaseDurationMs,
      renewDeadlineMs: election.renewDeadlineMs,
      retryPeriodMs: election.retryPeriodMs,
      logger: this.logger,
    });
    this.logger.info('waiting for leadership', { identity: election.identity });
    this.elector.run({
      onStartedLeading: () => {
        this.metrics.isLeader.set(1);
        this.startControllers().catch((error: unknown) => {
          this.onFatal(`starting controllers failed: ${describeError(error)}`);
        });
      },
      onStoppedLeading: () => {
        this.metrics.isLeader.set(0);
        this.onFatal('leadership lost');
      },
    });
  }

  /** Drains the controllers, stops the caches and hands the lease over. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.phaseTimer);
    await Promise.all(this.controllers.map(async (c) => c.stop()));
    await Promise.all(this.informers.map(async (i) => i.stop()));
    await this.behavior?.stop();
    this.stopBackends();
    await this.elector?.release();
    await this.server?.close();
    this.api.close();
  }

  /** Keeps the aio_agent_identities gauge: how many agents are in each phase. */
  private countPhases(identities: AgentIdentity[]): void {
    const counts = new Map<string, number>(PHASES.map((phase) => [phase, 0]));
    for (const identity of identities) {
      const phase = identity.status?.phase ?? 'Pending';
      counts.set(phase, (counts.get(phase) ?? 0) + 1);
    }
    for (const [phase, count] of counts) this.metrics.identities.set({ phase }, count);
    this.metrics.quarantined.set(counts.get('Quarantined') ?? 0);
  }

  /** This replica's pod when it serves the webhooks in a cluster; the leader labels it. */
  private webhookPod(): { namespace: string; name: string } | undefined {
    const name = this.config.podName;
    return name && this.config.behavior.webhook
      ? { namespace: this.config.namespace, name }
      : undefined;
  }

  private isLeading(): boolean {
    return !this.config.leaderElection.enabled || (this.elector?.isLeader ?? false);
  }

  private informer<T extends KubeObject>(
    type: ResourceType,
    kind: string,
    managedOnly: boolean,
  ): Informer<T> {
    const informer = new Informer<T>({
      api: this.api,
      type,
      kind,
      ...(managedOnly ? { labelSelector: MANAGED_SELECTOR } : {}),
      logger: this.logger,
      metrics: this.metrics,
    });
    this.informers.push(informer);
    return informer;
  }

  private async startControllers(): Promise<void> {
    const backends = await createBackends(this.config, this.api.kubeConfig, this.api, this.logger);
    this.stopBackends = backends.stop;
    backends.authConfigurer?.start();
    const identities = this.informer<AgentIdentity>(AGENT_IDENTITY_TYPE, 'AgentIdentity', false);
    const policies = this.informer<AgentPolicy>(AGENT_POLICY_TYPE, 'AgentPolicy', false);
    const children: ChildCaches = {
      serviceAccounts: this.informer(CORE.serviceAccounts, 'ServiceAccount', true),
      roles: this.informer(RBAC.roles, 'Role', true),
      roleBindings: this.informer(RBAC.roleBindings, 'RoleBinding', true),
      networkPolicies: this.informer(NETWORKING.networkPolicies, 'NetworkPolicy', true),
    };
    const childCaches: Informer<KubeObject>[] = [
      children.serviceAccounts,
      children.roles,
      children.roleBindings,
      children.networkPolicies,
    ];
    identities.addIndex(POLICY_INDEX, referencedPolicyKeys);
    for (const cache of childCaches) {
      cache.addIndex(OWNER_INDEX, (object) => {
        const uid = owningIdentityUid(object);
        return uid ? [uid] : [];
      });
    }

    const rotationBudget = new RateBudget(this.config.rotationsPerSecond);
    const events = new KubeEventRecorder(
      this.api,
      'agent-identity-operator',
      this.config.leaderElection.identity,
      this.logger,
    );
    const identityController = new Controller({
      name: 'agentidentity',
      kind: 'AgentIdentity',
      reconciler: new AgentIdentityReconciler({
        api: this.api,
        identities,
        policies,
        children,
        backends: new BackendSteps(
          backends.vaultAccess,
          new CredentialManager(backends.credentials, this.api, events, () =>
            rotationBudget.take(),
          ),
        ),
        events,
        allowedClusterRoles: this.config.allowedClusterRoles,
        dns: this.config.dns,
        onRelease: async (identity, by) => behavior.onRelease(identity, by),
        recordedBehavior: (key) => behavior.recordOf(key),
      }),
      logger: this.logger,
      metrics: this.metrics,
      workers: this.config.workers,
      resyncMs: this.config.resyncMs,
      allKeys: () => identities.list().map(objectKey),
    });
    const policyController = new Controller({
      name: 'agentpolicy',
      kind: 'AgentPolicy',
      reconciler: new AgentPolicyReconciler(this.api, policies, this.config.allowedClusterRoles),
      logger: this.logger,
      metrics: this.metrics,
      workers: Math.max(1, Math.floor(this.config.workers / 4)),
      resyncMs: this.config.resyncMs,
      allKeys: () => policies.list().map(objectKey),
    });
    this.controllers.push(identityController, policyController);

    const containment = new ChildSync(this.api, children);
    const behavior = new BehaviorRuntime({
      config: this.config.behavior,
      allowedClusterRoles: this.config.allowedClusterRoles,
      api: this.api,
      logger: this.logger,
      metrics: this.metrics,
      events,
      identities,
      policies,
      contain: async (identity) => {
        await Promise.all([
          backends.vaultAccess?.disable(identity),
          containment.contain(identity, childNames(identity)),
        ]);
      },
      requeue: (key) => {
        identityController.enqueue(key);
      },
    });
    this.behavior = behavior;

    identities.onChange((event, identity) => {
      identityController.enqueue(objectKey(identity));
      if (event === 'delete') behavior.forget(objectKey(identity));
      else behavior.refresh(identity);
    });
    policies.onChange((_event, policy) => {
      const key = objectKey(policy);
      policyController.enqueue(key);
      for (const identityKey of identities.keysByIndex(POLICY_INDEX, key)) {
        identityController.enqueue(identityKey);
        const identity = identities.getByKey(identityKey);
        if (identity) behavior.refresh(identity);
      }
    });
    // A child's owner is remembered, so a change that removes the owner reference (or the
    // child) still reaches the identity that had it.
    const lastOwner = new Map<string, string>();
    childCaches.forEach((cache, kindIndex) => {
      cache.onChange((event, child) => {
        // List items carry no kind, so the cache's position stands for it.
        const childKey = `${String(kindIndex)}/${child.metadata?.namespace ?? ''}/${child.metadata?.name ?? ''}`;
        const ref = child.metadata?.ownerReferences?.find((r) => r.kind === 'AgentIdentity');
        const owner = ref ? `${child.metadata?.namespace ?? ''}/${ref.name}` : undefined;
        const previous = lastOwner.get(childKey);
        if (previous && previous !== owner) identityController.enqueue(previous);
        if (owner) identityController.enqueue(owner);
        if (event === 'delete' || !owner) lastOwner.delete(childKey);
        else lastOwner.set(childKey, owner);
      });
    });

    await Promise.all(this.informers.map(async (informer) => informer.start()));
    if (this.stopping) return;
    // The ClusterRoles' rules first: profiles built without them would deny bound agents.
    await behavior.loadClusterRoles();
    for (const identity of identities.list()) behavior.refresh(identity);
    await behavior.start();
    this.webhookPort = behavior.webhookPort;
    const pod = this.webhookPod();
    if (pod) await markWebhookLeader(this.api, this.logger, pod, true);
    this.phaseTimer = setInterval(() => {
      this.countPhases(identities.list());
    }, 15_000);
    this.phaseTimer.unref();
    for (const controller of this.controllers) controller.start();
    this.started = true;
    this.logger.info('caches synced; controllers started', {
      identities: identities.list().length,
      policies: policies.list().length,
    });
  }
}
