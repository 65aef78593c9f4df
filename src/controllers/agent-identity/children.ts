import type { AgentIdentity } from '../../api/resources.js';
import { applyIfChanged } from '../../runtime/apply.js';
import type { Informer } from '../../runtime/informer.js';
import { LABELS, MANAGED_BY } from '../../api/constants.js';
import { KubeApiError, isNotFound, type KubeApi, type KubeObject } from '../../runtime/kube-api.js';
import { NETWORKING, RBAC, CORE, resourcePath, type ResourceType } from '../../runtime/paths.js';
import type { ChildNames } from './names.js';
import type { NetworkPlan } from './network-policy.js';
import type { RbacPlan, RoleBindingManifest } from './rbac.js';
import type { ServiceAccountManifest } from './service-account.js';

/** The caches of the kinds the operator creates for identities (its own objects only). */
export interface ChildCaches {
  serviceAccounts: Informer<KubeObject>;
  roles: Informer<KubeObject>;
  roleBindings: Informer<KubeObject>;
  networkPolicies: Informer<KubeObject>;
}

/** The index on every child cache that maps an owner's uid to its children. */
export const OWNER_INDEX = 'owner-uid';

/** How applying one area (RBAC, network) went. */
export type AreaOutcome =
  | { ok: true; changed: boolean }
  | { ok: false; forbidden: boolean; conflict: boolean; message: string; error: unknown };

/**
 * An object with the name the operator wants already exists and is not this identity's: a
 * hand-made object, or another agent's. It is left alone and reported, never adopted.
 */
export class OwnershipConflict extends Error {
  constructor(kind: string, name: string, holder: string) {
    super(`${kind} ${name} already exists and belongs to ${holder}; it was left untouched`);
    this.name = 'OwnershipConflict';
  }
}

function holderOf(object: KubeObject): string {
  const controller = object.metadata?.ownerReferences?.find((r) => r.controller);
  return controller
    ? `${controller.kind} ${controller.name}`
    : 'no AgentIdentity (it was not created by the operator)';
}

export interface ChildrenOutcome {
  rbac: AreaOutcome;
  network: AreaOutcome;
}

function failure(error: unknown, what: string): AreaOutcome {
  const forbidden = error instanceof KubeApiError && error.forbidden;
  const conflict = error instanceof OwnershipConflict;
  const detail = error instanceof KubeApiError || conflict ? error.message : 'unexpected error';
  return {
    ok: false,
    forbidden,
    conflict,
    message: `${what}: ${detail}`.slice(0, 1024),
    error,
  };
}

/**
 * Makes the cluster match the plans: applies what is desired (only when the cache shows a
 * difference) and deletes what this identity owns but no longer needs. The decisions were
 * made by the pure planners; this module only acts.
 */
export class ChildSync {
  constructor(
    private readonly api: KubeApi,
    private readonly caches: ChildCaches,
  ) {}

  async sync(
    identity: AgentIdentity,
    serviceAccount: ServiceAccountManifest,
    rbac: RbacPlan,
    network: NetworkPlan,
  ): Promise<ChildrenOutcome> {
    return {
      rbac: await this.syncRbac(identity, serviceAccount, rbac),
      network: await this.syncNetwork(identity, network),
    };
  }

  /** Offboarding: access withdrawn as in `contain`, and the ServiceAccount deleted too. */
  async offboard(identity: AgentIdentity, names: ChildNames): Promise<void> {
    await this.contain(identity, names);
    await this.deleteStale(identity, CORE.serviceAccounts, this.caches.serviceAccounts, []);
  }

  /** Withdraws access at once: bindings and the allow NetworkPolicy go, the deny stays. */
  async contain(identity: AgentIdentity, names: ChildNames): Promise<void> {
    await this.deleteStale(identity, RBAC.roleBindings, this.caches.roleBindings, []);
    await this.deleteStale(identity, NETWORKING.networkPolicies, this.caches.networkPolicies, [
      names.denyPolicy,
    ]);
  }

  private async syncRbac(
    identity: AgentIdentity,
    serviceAccount: ServiceAccountManifest,
    plan: RbacPlan,
  ): Promise<AreaOutcome> {
    let changed: boolean;
    try {
      changed = await this.syncServiceAccount(identity, serviceAccount);
    } catch (error) {
      return failure(error, 'applying the ServiceAccount');
    }
    try {
      changed = (await this.syncRole(identity, plan)) || changed;
    } catch (error) {
      return failure(error, 'applying the Role');
    }
    for (const binding of plan.bindings) {
      try {
        changed = (await this.applyBinding(binding)) || changed;
      } catch (error) {
        return failure(error, `binding ${binding.roleRef.kind} ${binding.roleRef.name}`);
      }
    }
    if (plan.bindings.length === 0) {
      try {
        changed =
          (await this.removeStrayBindings(identity, serviceAccount, plan.possibleBindings)) ||
          changed;
      } catch (error) {
        return failure(error, 'removing bindings');
      }
    }
    return { ok: true, changed };
  }

  /**
   * A contained agent must hold no binding, even one whose owner reference and labels were
   * removed by hand (invisible to the cache and to the owner index). Each binding name the
   * agent could have is looked up, and removed when it binds the agent's ServiceAccount and
   * is not another identity's.
   */
  private async removeStrayBindings(
    identity: AgentIdentity,
    serviceAccount: ServiceAccountManifest,
    candidates: string[],
  ): Promise<boolean> {
    const namespace = identity.metadata.namespace;
    const saName = serviceAccount.metadata?.name ?? '';
    let removed = false;
    for (const name of candidates) {
      if (this.caches.roleBindings.get(namespace, name)) continue;
      const live = await this.lookup<
        KubeObject & { subjects?: { kind?: string; name?: string; namespace?: string }[] }
      >(RBAC.roleBindings, namespace, name);
      if (!live) continue;
      const controller = live.metadata?.ownerReferences?.find((r) => r.controller);
      if (controller && controller.uid !== identity.metadata.uid) continue;
      const bindsAgent = (live.subjects ?? []).some(
        (s) =>
          s.kind === 'ServiceAccount' &&
          s.name === saName &&
          (s.namespace ?? namespace) === namespace,
      );
      if (!bindsAgent) continue;
      await this.api.delete(resourcePath(RBAC.roleBindings, { namespace, name }), {
        ...(live.metadata?.uid ? { uid: live.metadata.uid } : {}),
      });
      removed = true;
    }
    return removed;
  }

  private async syncServiceAccount(
    identity: AgentIdentity,
    serviceAccount: ServiceAccountManifest,
  ): Promise<boolean> {
    const cache = this.caches.serviceAccounts;
    const applied = await this.applyChild(CORE.serviceAccounts, cache, serviceAccount);
    const removed = await this.deleteStale(identity, CORE.serviceAccounts, cache, [
      serviceAccount.metadata?.name ?? '',
    ]);
    return applied || removed;
  }

  /**
   * Stale bindings go before the Role changes, and new bindings come after it (in syncRbac),
   * so the agent never holds a binding to a Role broader than the plan.
   */
  private async syncRole(identity: AgentIdentity, plan: RbacPlan): Promise<boolean> {
    const keepBindings = plan.bindings.map((b) => b.metadata?.name ?? '');
    let changed = await this.deleteStale(
      identity,
      RBAC.roleBindings,
      this.caches.roleBindings,
      keepBindings,
    );
    if (plan.role) {
      changed = (await this.applyChild(RBAC.roles, this.caches.roles, plan.role)) || changed;
    }
    const keepRoles = plan.role ? [plan.role.metadata?.name ?? ''] : [];
    return (await this.deleteStale(identity, RBAC.roles, this.caches.roles, keepRoles)) || changed;
  }

  private async syncNetwork(identity: AgentIdentity, plan: NetworkPlan): Promise<AreaOutcome> {
    const cache = this.caches.networkPolicies;
    const type = NETWORKING.networkPolicies;
    try {
      let changed = await this.applyChild(type, cache, plan.deny);
      const keep = [plan.deny.metadata?.name ?? ''];
      if (plan.allow) {
        changed = (await this.applyChild(type, cache, plan.allow)) || changed;
        keep.push(plan.allow.metadata?.name ?? '');
      }
      changed = (await this.deleteStale(identity, type, cache, keep)) || changed;
      return { ok: true, changed };
    } catch (error) {
      return failure(error, 'applying NetworkPolicies');
    }
  }

  /** A RoleBinding's roleRef cannot change: a different one means delete, then create. */
  private async applyBinding(binding: RoleBindingManifest): Promise<boolean> {
    const { namespace = '', name = '' } = binding.metadata ?? {};
    const live = this.caches.roleBindings.get(namespace, name) as RoleBindingManifest | undefined;
    const uid = binding.metadata?.ownerReferences?.[0]?.uid;
    if (live) this.assertOwned('RoleBinding', live, uid, binding);
    if (live && JSON.stringify(live.roleRef) !== JSON.stringify(binding.roleRef)) {
      await this.api.delete(resourcePath(RBAC.roleBindings, { namespace, name }), {
        ...(live.metadata?.uid ? { uid: live.metadata.uid } : {}),
      });
      await this.api.apply(resourcePath(RBAC.roleBindings, { namespace, name }), binding);
      return true;
    }
    return this.applyChild(RBAC.roleBindings, this.caches.roleBindings, binding);
  }

  /**
   * Applies a child unless an object of that name belongs to someone else. The cache holds
   * only objects with the operator's label, so a name missing from it is looked up once on
   * the API server before anything is created over it.
   */
  private async applyChild(
    type: ResourceType,
    cache: Informer<KubeObject>,
    desired: KubeObject,
  ): Promise<boolean> {
    const namespace = desired.metadata?.namespace ?? '';
    const name = desired.metadata?.name ?? '';
    const uid = desired.metadata?.ownerReferences?.[0]?.uid;
    const live = cache.get(namespace, name) ?? (await this.lookup(type, namespace, name));
    if (live) this.assertOwned(desired.kind ?? type.plural, live, uid, desired);
    return applyIfChanged(this.api, type, desired, live);
  }

  private async lookup<T extends KubeObject = KubeObject>(
    type: ResourceType,
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.api.get<T>(resourcePath(type, { namespace, name }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Ours when this identity is its controller, or when someone removed the owner reference
   * but the operator's own labels for this agent are still on it (the apply restores it).
   */
  private assertOwned(
    kind: string,
    live: KubeObject,
    uid: string | undefined,
    desired: KubeObject,
  ): void {
    const controller = live.metadata?.ownerReferences?.find((r) => r.controller);
    if (controller) {
      if (controller.uid === uid) return;
      throw new OwnershipConflict(kind, live.metadata?.name ?? '', holderOf(live));
    }
    const labels = live.metadata?.labels ?? {};
    const ours = desired.metadata?.labels ?? {};
    const marked =
      labels[LABELS.managedBy] === MANAGED_BY && labels[LABELS.agent] === ours[LABELS.agent];
    if (!marked) throw new OwnershipConflict(kind, live.metadata?.name ?? '', holderOf(live));
  }

  private owned(identity: AgentIdentity, cache: Informer<KubeObject>): KubeObject[] {
    return cache
      .keysByIndex(OWNER_INDEX, identity.metadata.uid ?? '')
      .map((key) => cache.getByKey(key))
      .filter((object): object is KubeObject => object !== undefined);
  }

  /** Deletes objects of one kind that this identity owns and that are not in `keep`. */
  private async deleteStale(
    identity: AgentIdentity,
    type: ResourceType,
    cache: Informer<KubeObject>,
    keep: string[],
  ): Promise<boolean> {
    const stale = this.owned(identity, cache).filter(
      (object) => !keep.includes(object.metadata?.name ?? ''),
    );
    for (const object of stale) {
      await this.api.delete(
        resourcePath(type, {
          namespace: object.metadata?.namespace ?? '',
          name: object.metadata?.name ?? '',
        }),
        object.metadata?.uid ? { uid: object.metadata.uid } : {},
      );
    }
    return stale.length > 0;
  }
}
