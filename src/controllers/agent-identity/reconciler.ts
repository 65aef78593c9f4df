import { isDeepStrictEqual } from 'node:util';
import type { AgentIdentityStatus } from '../../api/agent-identity.js';
import { ConditionType, findCondition } from '../../api/conditions.js';
import { API_VERSION, FINALIZER } from '../../api/constants.js';
import type { AgentIdentity, AgentPolicy } from '../../api/resources.js';
import { AGENT_IDENTITY } from '../../api/resources.js';
import type { ReconcileResult, Reconciler } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Informer } from '../../runtime/informer.js';
import { isNotFound, type KubeApi } from '../../runtime/kube-api.js';
import type { Logger } from '../../observability/logger.js';
import { identityPath } from '../resource-paths.js';
import { ChildSync, type ChildCaches, type ChildrenOutcome } from './children.js';
import { decideLifecycle } from './lifecycle.js';
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
  events: EventRecorder;
  allowedClusterRoles: ReadonlySet<string>;
  dns: DnsTarget;
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

  constructor(private readonly options: AgentIdentityReconcilerOptions) {
    this.sync = new ChildSync(options.api, options.children);
    this.now = options.now ?? ((): Date => new Date());
  }

  async reconcile(key: string, log: Logger): Promise<ReconcileResult | undefined> {
    const identity = this.options.identities.getByKey(key);
    if (!identity) return undefined;
    if (identity.metadata.deletionTimestamp) return this.finalize(identity, log);
    await this.ensureFinalizer(identity);

    const now = this.now();
    const names = childNames(identity);
    const policies = resolvePolicies(identity, (ns, name) => this.options.policies.get(ns, name));
    const lifecycle = decideLifecycle(identity, now);
    const contained = lifecycle.containment !== 'None';
    const rbac = planRbac(
      identity,
      names,
      policies.found,
      this.options.allowedClusterRoles,
      contained,
    );
    const network = planNetwork(identity, names, policies.found, this.options.dns, contained);

    const outcome = await this.sync.sync(
      identity,
      buildServiceAccount(identity, names),
      rbac,
      network,
    );

    const status = buildStatus({
      identity,
      names,
      policies,
      rbac,
      network,
      outcome,
      lifecycle,
      now,
    });
    await this.writeStatus(identity, status, log);

    throwIfFailed(outcome);
    return lifecycle.expiresInMs === undefined
      ? undefined
      : { requeueAfterMs: lifecycle.expiresInMs };
  }

  private async ensureFinalizer(identity: AgentIdentity): Promise<void> {
    const finalizers = identity.metadata.finalizers ?? [];
    if (finalizers.includes(FINALIZER)) return;
    await this.options.api.mergePatch(identityPath(identity), {
      metadata: {
        finalizers: [...finalizers, FINALIZER],
        resourceVersion: identity.metadata.resourceVersion,
      },
    });
  }

  /**
   * Offboarding: withdraw access at once — bindings, allowed traffic, and the ServiceAccount,
   * whose deletion invalidates every token issued for it — then let the identity go; garbage
   * collection removes the remaining children (Role, default deny) through owner references.
   */
  private async finalize(identity: AgentIdentity, log: Logger): Promise<undefined> {
    const finalizers = identity.metadata.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return undefined;
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

  /** Writes status only when it changed, with server-side apply on the status subresource. */
  private async writeStatus(
    identity: AgentIdentity,
    status: AgentIdentityStatus,
    log: Logger,
  ): Promise<void> {
    if (isDeepStrictEqual(identity.status ?? {}, status)) return;
    try {
      await this.options.api.apply(identityPath(identity, 'status'), {
        apiVersion: API_VERSION,
        kind: AGENT_IDENTITY.kind,
        metadata: { name: identity.metadata.name, namespace: identity.metadata.namespace },
        status,
      });
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    reportTransitions(identity, status, this.options.events, log);
    const ready = findCondition(status.conditions, ConditionType.Ready);
    log.debug('status written', {
      phase: status.phase,
      ready: ready?.status,
      reason: ready?.reason,
    });
  }
}

function throwIfFailed(outcome: ChildrenOutcome): void {
  const failed = [outcome.rbac, outcome.network].filter((area) => !area.ok);
  const retryable = failed.filter((area) => !area.forbidden);
  if (retryable.length === 0) return;
  throw new AreaError(retryable.map((area) => area.message).join('; '), {
    cause: retryable[0]?.error,
  });
}
