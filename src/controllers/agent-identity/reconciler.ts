import { isDeepStrictEqual } from 'node:util';
import type { AgentIdentityStatus } from '../../api/agent-identity.js';
import {
  ConditionType,
  Reason,
  findCondition,
  mergeConditions,
  ownConditions,
} from '../../api/conditions.js';
import { API_VERSION, FINALIZER } from '../../api/constants.js';
import type { AgentIdentity, AgentPolicy } from '../../api/resources.js';
import { AGENT_IDENTITY } from '../../api/resources.js';
import type { ReconcileResult, Reconciler } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Informer } from '../../runtime/informer.js';
import { FreshnessOverlay } from '../../runtime/freshness.js';
import { isNotFound, type KubeApi } from '../../runtime/kube-api.js';
import type { Logger } from '../../observability/logger.js';
import { identityPath } from '../resource-paths.js';
import { safeMessage, type BackendOutcome, type BackendSteps } from './backends.js';
import { ChildSync, type ChildCaches, type ChildrenOutcome } from './children.js';
import { decideLifecycle, type LifecycleDecision } from './lifecycle.js';
import { releaseRequest } from '../behavior/release.js';
import { childNames } from './names.js';
import { planNetwork, type DnsTarget } from './network-policy.js';
import { resolvePolicies } from './policies.js';
import { planRbac } from './rbac.js';
import { buildServiceAccount } from './service-account.js';
import { buildStatus } from './status.js';
import { reportTransitions } from './transitions.js';

export interface AgentIdentityReconcilerOptions {
  api: KubeApi;
  identities: Informer<AgentIdentity>;
  policies: Informer<AgentPolicy>;
  children: ChildCaches;
  backends: BackendSteps;
  events: EventRecorder;
  allowedClusterRoles: ReadonlySet<string>;
  dns: DnsTarget;
  /** Lifts a quarantine a person asked to release (behaviour side). */
  onRelease?: (identity: AgentIdentity, requestedBy: string) => Promise<void>;
  /**
   * The behaviour status the behaviour side last wrote (risk response, quarantine). It is
   * fresher than the cache right after a quarantine, and containment must not flap back
   * while the cache catches up.
   */
  recordedBehavior?: (
    key: string,
  ) => Pick<AgentIdentityStatus, 'behavior' | 'quarantine'> | undefined;
  now?: () => Date;
}

/** Failed areas are reported in status first, then returned so the runner retries. */
class AreaError extends Error {}

/**
 * Reconciles one AgentIdentity into its ServiceAccount, RBAC and NetworkPolicies. Level
 * based: every call reads the identity and its policies from the caches, decides the whole
 * desired state with pure planners, applies the difference and reports it in status.
 */
export class AgentIdentityReconciler implements Reconciler {
  private readonly sync: ChildSync;
  private readonly now: () => Date;
  private readonly fresh = new FreshnessOverlay<AgentIdentity>();

  constructor(private readonly options: AgentIdentityReconcilerOptions) {
    this.sync = new ChildSync(options.api, options.children);
    this.now = options.now ?? ((): Date => new Date());
  }

  async reconcile(key: string, log: Logger): Promise<ReconcileResult | undefined> {
    const identity = this.fresh.resolve(key, this.options.identities.getByKey(key));
    if (!identity) return undefined;
    if (identity.metadata.deletionTimestamp) return this.finalize(identity, log);
    return this.reconcileLive(await this.ensureFinalizer(identity), log);
  }

  private async reconcileLive(
    cached: AgentIdentity,
    log: Logger,
  ): Promise<ReconcileResult | undefined> {
    const recorded = this.options.recordedBehavior?.(keyOf(cached));
    const identity: AgentIdentity = recorded
      ? { ...cached, status: { ...cached.status, ...recorded } }
      : cached;
    const now = this.now();
    const names = childNames(identity);
    const policies = resolvePolicies(identity, (ns, name) => this.options.policies.get(ns, name));
    const lifecycle = decideLifecycle(identity, now);
    const contained = lifecycle.containment !== 'None';
    await this.handleRelease(identity, lifecycle, log);
    // A Restrict response removes elevated bindings: only the agent's own Role stays bound.
    const restricted = identity.status?.behavior?.response === 'Restrict';
    const rbac = planRbac(
      identity,
      names,
      policies.found,
      restricted ? new Set<string>() : this.options.allowedClusterRoles,
      contained,
    );
    const network = planNetwork(identity, names, policies.found, this.options.dns, contained);

    const outcome = await this.sync.sync(
      identity,
      buildServiceAccount(identity, names),
      rbac,
      network,
    );
    const serviceAccount = this.options.children.serviceAccounts.get(
      identity.metadata.namespace,
      names.serviceAccount,
    );
    const backends = await this.options.backends.run(
      identity,
      serviceAccount,
      policies.found,
      lifecycle,
      now.getTime(),
    );

    const status = buildStatus({
      identity,
      names,
      policies,
      rbac,
      network,
      outcome,
      lifecycle,
      backends,
      now,
    });
    await this.writeStatus(identity, status, log);
    reportRotations(identity, backends, this.options.events, log);

    throwIfFailed(outcome, backends);
    return nextRequeue(lifecycle, backends, now.getTime());
  }

  /** A person asked to lift the quarantine (annotation naming who): hand it to the behaviour side. */
  private async handleRelease(
    identity: AgentIdentity,
    lifecycle: LifecycleDecision,
    log: Logger,
  ): Promise<void> {
    const request = releaseRequest(identity);
    if (lifecycle.containment !== 'Quarantined' || !request || !this.options.onRelease) return;
    if (request === identity.status?.quarantine?.handledRelease) return;
    await this.options.onRelease(identity, request);
    log.info('quarantine release requested', { by: request.slice(0, 200) });
  }

  private async ensureFinalizer(identity: AgentIdentity): Promise<AgentIdentity> {
    const finalizers = identity.metadata.finalizers ?? [];
    if (finalizers.includes(FINALIZER)) return identity;
    const updated = await this.options.api.mergePatch<AgentIdentity>(identityPath(identity), {
      metadata: {
        finalizers: [...finalizers, FINALIZER],
        resourceVersion: identity.metadata.resourceVersion,
      },
    });
    this.fresh.remember(keyOf(identity), identity.metadata.resourceVersion, updated);
    return updated;
  }

  /**
   * Offboarding: withdraw access at once — bindings, allowed traffic, and the ServiceAccount,
   * whose deletion invalidates every token issued for it — then let the identity go; garbage
   * collection removes the remaining children (Role, default deny) through owner references.
   */
  private async finalize(identity: AgentIdentity, log: Logger): Promise<undefined> {
    const finalizers = identity.metadata.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return undefined;
    await this.sync.contain(identity, childNames(identity));
    try {
      await this.options.backends.offboard(identity);
    } catch (error) {
      await this.reportBlockedOffboarding(identity, error, log);
      throw new Error('offboarding from Vault or AWS failed; the finalizer stays', {
        cause: error,
      });
    }
    await this.sync.offboard(identity, childNames(identity));
    try {
      await this.options.api.mergePatch(identityPath(identity), {
        metadata: {
          finalizers: finalizers.filter((f) => f !== FINALIZER),
          resourceVersion: identity.metadata.resourceVersion,
        },
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    log.info('offboarded: access withdrawn, finalizer removed');
    return undefined;
  }

  /** While a backend is unreachable the identity stays Terminating and says why. */
  private async reportBlockedOffboarding(
    identity: AgentIdentity,
    error: unknown,
    log: Logger,
  ): Promise<void> {
    const generation = identity.metadata.generation ?? 0;
    const { behavior: _behavior, quarantine: _quarantine, ...reconciled } = identity.status ?? {};
    const status: AgentIdentityStatus = {
      ...reconciled,
      phase: 'Terminating',
      conditions: mergeConditions(
        identity.status?.conditions,
        [
          {
            type: ConditionType.Ready,
            status: 'False',
            reason: Reason.OffboardingBlocked,
            message: `offboarding waits for a secret store: ${safeMessage(error)}`,
          },
        ],
        generation,
        this.now(),
      ).concat(
        ownConditions(identity.status?.conditions).filter((c) => c.type !== ConditionType.Ready),
      ),
    };
    await this.writeStatus(identity, status, log);
  }

  /** Writes status only when it changed, with server-side apply on the status subresource. */
  private async writeStatus(
    identity: AgentIdentity,
    status: AgentIdentityStatus,
    log: Logger,
  ): Promise<void> {
    // Fields set to undefined are dropped as the API server would drop them.
    const clean = JSON.parse(JSON.stringify(status)) as AgentIdentityStatus;
    const { behavior: _behavior, quarantine: _quarantine, ...reconciled } = identity.status ?? {};
    const current = { ...reconciled, conditions: ownConditions(identity.status?.conditions) };
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(current)), clean)) return;
    try {
      const updated = await this.options.api.apply<AgentIdentity>(
        identityPath(identity, 'status'),
        {
          apiVersion: API_VERSION,
          kind: AGENT_IDENTITY.kind,
          metadata: { name: identity.metadata.name, namespace: identity.metadata.namespace },
          status: clean,
        },
      );
      this.fresh.remember(keyOf(identity), identity.metadata.resourceVersion, updated);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    reportTransitions(identity, clean, this.options.events, log);
    const ready = findCondition(status.conditions, ConditionType.Ready);
    log.debug('status written', {
      phase: status.phase,
      ready: ready?.status,
      reason: ready?.reason,
    });
  }
}

function keyOf(identity: AgentIdentity): string {
  return `${identity.metadata.namespace}/${identity.metadata.name}`;
}

function throwIfFailed(outcome: ChildrenOutcome, backends: BackendOutcome): void {
  const failed = [outcome.rbac, outcome.network].filter((area) => !area.ok);
  // Forbidden and name conflicts need a person; the periodic resync tries them again.
  const messages = failed
    .filter((area) => !area.forbidden && !area.conflict)
    .map((area) => area.message);
  const causes: unknown[] = failed.map((area) => area.error);
  for (const step of [backends.vault, backends.credentials]) {
    if (step.state === 'failed' && !step.conflict) {
      messages.push(step.message);
      causes.push(step.error);
    }
  }
  if (backends.credentials.state === 'done' && backends.credentials.value !== 'offboarded') {
    for (const failure of backends.credentials.value.failures) {
      messages.push(`${failure.name}: ${safeMessage(failure.error)}`);
      causes.push(failure.error);
    }
  }
  if (messages.length === 0) return;
  throw new AreaError(messages.join('; '), { cause: causes[0] });
}

/** The earliest time-based event: expiry, a rotation, the end of a grace period. */
function nextRequeue(
  lifecycle: LifecycleDecision,
  backends: BackendOutcome,
  now: number,
): ReconcileResult | undefined {
  const times: number[] = [];
  if (lifecycle.expiresInMs !== undefined) times.push(now + lifecycle.expiresInMs);
  if (backends.credentials.state === 'done' && backends.credentials.value !== 'offboarded') {
    const next = backends.credentials.value.nextCheckAt;
    if (next !== undefined) times.push(next);
  }
  if (times.length === 0) return undefined;
  // A timer longer than about 24.8 days overflows in Node.js; the resync covers the rest.
  return { requeueAfterMs: Math.min(Math.max(0, Math.min(...times) - now) + 250, 2 ** 31 - 1) };
}

/** One Event per credential written, saying why (never the value). */
function reportRotations(
  identity: AgentIdentity,
  backends: BackendOutcome,
  events: EventRecorder,
  log: Logger,
): void {
  if (backends.credentials.state !== 'done' || backends.credentials.value === 'offboarded') return;
  for (const { name, reason } of backends.credentials.value.rotated) {
    const version = backends.credentials.value.statuses.find(
      (c) => c.name === name,
    )?.currentVersion;
    events.record(
      identity,
      reason === 'Repaired' ? 'Warning' : 'Normal',
      `Credential${reason}`,
      `credential ${name} is now at version ${String(version ?? '?')} (${reason.toLowerCase()})`,
    );
    log.info('credential written', { credential: name, reason, version });
  }
}
