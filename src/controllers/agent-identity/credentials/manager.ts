import { createHash } from 'node:crypto';
import type { CredentialSpec, CredentialStatus } from '../../../api/agent-identity.js';
import { ANNOTATIONS } from '../../../api/constants.js';
import type { AgentIdentity } from '../../../api/resources.js';
import type { EventRecorder } from '../../../runtime/events.js';
import type { KubeObject } from '../../../api/object-meta.js';
import {
  KubeApiError,
  isNotFound as isKubeNotFound,
  type KubeApi,
} from '../../../runtime/kube-api.js';
import { CORE, resourcePath } from '../../../runtime/paths.js';
import { reconcileCredential, type CredentialResult, type RotationContext } from './rotation.js';
import { buildSecretCopy, restartAnnotation, restartHash, secretCopyName } from './secret-copy.js';
import { bindStores, type CredentialBackends, type StoreKey } from './stores.js';

export interface CredentialsOutcome {
  statuses: CredentialStatus[];
  /** Names of credentials written this time, with why. */
  rotated: { name: string; reason: string }[];
  /** Stores a credential asks for that the operator was not configured with. */
  missingStores: string[];
  nextCheckAt: number | undefined;
  handledRotationRequest: string | undefined;
  /** Credentials whose store calls failed; their previous status is kept. */
  failures: { name: string; error: unknown }[];
}

const APPS = { Deployment: 'deployments', StatefulSet: 'statefulsets' } as const;

/**
 * The credential side of an AgentIdentity: every declared credential rotated on schedule and
 * on request in its stores, copied into a Kubernetes Secret when asked, and rolled out to its
 * consumers; credentials no longer declared are removed from the stores.
 */
export class CredentialManager {
  constructor(
    private readonly backends: CredentialBackends,
    private readonly api: KubeApi,
    private readonly events: EventRecorder,
    private readonly rotationBudget: () => number,
  ) {}

  async reconcile(identity: AgentIdentity, now: number): Promise<CredentialsOutcome> {
    const request = requestId(identity.metadata.annotations?.[ANNOTATIONS.rotate]);
    const handledBefore = identity.status?.handledRotationRequest;
    const previous = new Map((identity.status?.credentials ?? []).map((c) => [c.name, c]));
    const outcome = emptyOutcome(identity);
    const seed = `${identity.metadata.namespace}/${identity.metadata.name}/${identity.metadata.uid ?? ''}`;
    for (const spec of identity.spec.credentials ?? []) {
      const before = previous.get(spec.name);
      // Each credential records the request it acted on, so a request rotates each once,
      // even when another credential of the agent keeps failing.
      const handled = before?.handledRequest ?? handledBefore;
      await this.reconcileOne(identity, spec, before, outcome, {
        seed,
        requestId: request !== undefined && request !== handled ? request : undefined,
        now,
        budget: this.rotationBudget,
      });
    }
    if (request !== undefined && outcome.statuses.every((c) => c.handledRequest === request)) {
      outcome.handledRotationRequest = request;
    }

    try {
      await this.removeUndeclared(identity, previous);
    } catch (error) {
      outcome.failures.push({ name: 'undeclared credentials', error });
    }
    return outcome;
  }

  /** One credential; a failure is recorded and its previous status kept, the others go on. */
  private async reconcileOne(
    identity: AgentIdentity,
    spec: CredentialSpec,
    recorded: CredentialStatus | undefined,
    outcome: CredentialsOutcome,
    ctx: RotationContext,
  ): Promise<void> {
    const { stores, missing } = bindStores(identity, spec, this.backends);
    outcome.missingStores.push(...missing);
    if (stores.length === 0) return;
    let before = recorded;
    try {
      before = await this.removeDroppedStores(identity, spec, before);
      const result = await reconcileCredential(spec, stores, before, ctx);
      outcome.statuses.push(await this.deliver(identity, spec, result));
      if (result.rotated) outcome.rotated.push({ name: spec.name, reason: result.rotated });
      outcome.nextCheckAt = earliest(outcome.nextCheckAt, result.nextCheckAt);
    } catch (error) {
      outcome.failures.push({ name: spec.name, error });
      if (before) outcome.statuses.push(before);
    }
  }

  /**
   * A credential moved off a store (Both to Vault, say) is removed from the store it left, so
   * no valid copy is left behind where nothing rotates it any more.
   */
  private async removeDroppedStores(
    identity: AgentIdentity,
    spec: CredentialSpec,
    before: CredentialStatus | undefined,
  ): Promise<CredentialStatus | undefined> {
    const wanted = new Set(bindStores(identity, spec, this.backends).stores.map((s) => s.key));
    const recorded = Object.keys(before?.storeVersions ?? {}) as StoreKey[];
    const dropped = recorded.filter((key) => !wanted.has(key));
    if (!before || dropped.length === 0) return before;
    const all = bindStores(identity, { ...spec, store: 'Both' }, this.backends).stores;
    for (const bound of all.filter((b) => dropped.includes(b.key)))
      await bound.store.remove(bound.location);
    const storeVersions = Object.fromEntries(
      Object.entries(before.storeVersions ?? {}).filter(
        ([key]) => !dropped.includes(key as StoreKey),
      ),
    );
    return { ...before, storeVersions };
  }

  /** Keeps the Kubernetes Secret copy and the consumers in step with the current version. */
  private async deliver(
    identity: AgentIdentity,
    spec: CredentialSpec,
    result: CredentialResult,
  ): Promise<CredentialStatus> {
    let status = result.status;
    const version = status.currentVersion ?? 0;
    status = await this.syncSecretCopy(identity, spec, status, result.value);
    const targets = spec.rolloutRestartTargets ?? [];
    if (targets.length > 0 && version > 0 && status.restartedVersion !== version) {
      await this.restartConsumers(identity, spec, status);
      status = { ...status, restartedVersion: version };
    }
    return status;
  }

  /** Keeps the optional Kubernetes Secret copy at the current version, or removes it. */
  private async syncSecretCopy(
    identity: AgentIdentity,
    spec: CredentialSpec,
    status: CredentialStatus,
    knownValue: string | undefined,
  ): Promise<CredentialStatus> {
    const version = status.currentVersion ?? 0;
    if (spec.kubernetesSecret && version > 0) {
      const name = secretCopyName(identity, spec);
      if (status.secretName === name && status.secretVersion === version) return status;
      const uid = await this.writeSecretCopy(
        identity,
        spec,
        version,
        knownValue,
        status.secretName === name ? (status.secretUid ?? '') : undefined,
      );
      if (status.secretName && status.secretName !== name) {
        await this.deleteSecretCopy(identity, status.secretName, status.secretUid);
      }
      return {
        ...status,
        secretName: name,
        secretVersion: version,
        ...(uid ? { secretUid: uid } : {}),
      };
    }
    if (!status.secretName) return status;
    await this.deleteSecretCopy(identity, status.secretName, status.secretUid);
    const copy = { ...status };
    delete copy.secretName;
    delete copy.secretVersion;
    delete copy.secretUid;
    return copy;
  }

  /**
   * Writes the Secret copy. The first write creates it, so a Secret of that name that is not
   * this agent's copy is never overwritten (the create fails with a conflict); later writes
   * update the copy with server-side apply. The operator never reads Secrets: it needs only
   * create, patch and delete, and the version written is kept in status. Returns the uid
   * of a new copy.
   */
  private async writeSecretCopy(
    identity: AgentIdentity,
    spec: CredentialSpec,
    version: number,
    knownValue: string | undefined,
    existingUid: string | undefined,
  ): Promise<string | undefined> {
    const value = knownValue ?? (await this.readPrimary(identity, spec));
    const desired = buildSecretCopy(identity, spec, value, version);
    const namespace = identity.metadata.namespace;
    const name = secretCopyName(identity, spec);
    try {
      if (existingUid) {
        // The uid makes the write fail if the Secret of that name is no longer our copy.
        await this.api.apply(resourcePath(CORE.secrets, { namespace, name }), {
          ...desired,
          metadata: { ...desired.metadata, uid: existingUid },
        });
        return existingUid;
      }
      const created = await this.api.create<KubeObject>(
        resourcePath(CORE.secrets, { namespace }),
        desired,
      );
      return created.metadata?.uid;
    } catch (error) {
      if (error instanceof KubeApiError && (error.status === 409 || error.status === 422)) {
        throw new SecretCopyConflict(name);
      }
      throw error;
    }
  }

  /** Deletes a copy this agent made; the uid precondition spares a Secret made by someone else since. */
  private async deleteSecretCopy(
    identity: AgentIdentity,
    name: string,
    uid?: string,
  ): Promise<void> {
    await this.api
      .delete(resourcePath(CORE.secrets, { namespace: identity.metadata.namespace, name }), {
        ...(uid ? { uid } : {}),
      })
      .catch((error: unknown) => {
        // A 409 means the name now belongs to another Secret: not ours to delete.
        if (!(error instanceof KubeApiError && error.status === 409)) throw error;
      });
  }

  private async readPrimary(identity: AgentIdentity, spec: CredentialSpec): Promise<string> {
    const [primary] = bindStores(identity, spec, this.backends).stores;
    if (!primary) throw new Error(`credential ${spec.name} has no store to read from`);
    return (await primary.store.readCurrent(primary.location)).value;
  }

  private async restartConsumers(
    identity: AgentIdentity,
    spec: CredentialSpec,
    status: CredentialStatus,
  ): Promise<void> {
    const hash = restartHash(
      identity,
      spec.name,
      status.currentVersion ?? 0,
      status.storeVersions ?? {},
    );
    for (const target of spec.rolloutRestartTargets ?? []) {
      const path = `/apis/apps/v1/namespaces/${encodeURIComponent(identity.metadata.namespace)}/${APPS[target.kind]}/${encodeURIComponent(target.name)}`;
      try {
        await this.api.mergePatch(path, {
          spec: {
            template: { metadata: { annotations: { [restartAnnotation(spec.name)]: hash } } },
          },
        });
      } catch (error) {
        if (!isKubeNotFound(error)) throw error;
        this.events.record(
          identity,
          'Warning',
          'RolloutTargetNotFound',
          `${target.kind} ${target.name} named in rolloutRestartTargets of ${spec.name} does not exist`,
        );
      }
    }
  }

  /** Credentials removed from the spec are removed from their stores and their Secret copy. */
  private async removeUndeclared(
    identity: AgentIdentity,
    previous: Map<string, CredentialStatus>,
  ): Promise<void> {
    const declared = new Set((identity.spec.credentials ?? []).map((c) => c.name));
    for (const [name, status] of previous) {
      if (declared.has(name)) continue;
      await this.removeCredential(
        identity,
        { name, rotation: { interval: '1h' }, store: storeOf(status) },
        status,
      );
    }
  }

  /** Removes one credential everywhere (offboarding and undeclared credentials). */
  async removeCredential(
    identity: AgentIdentity,
    spec: CredentialSpec,
    status?: CredentialStatus,
  ): Promise<void> {
    for (const bound of bindStores(identity, spec, this.backends).stores) {
      await bound.store.remove(bound.location);
    }
    if (status?.secretName) {
      await this.api.delete(
        resourcePath(CORE.secrets, {
          namespace: identity.metadata.namespace,
          name: status.secretName,
        }),
      );
    }
  }

  /** Offboarding: every credential the identity declares or still has in status. */
  async removeAll(identity: AgentIdentity): Promise<void> {
    const statuses = new Map((identity.status?.credentials ?? []).map((c) => [c.name, c]));
    for (const spec of credentialsToRemove(identity))
      await this.removeCredential(identity, spec, statuses.get(spec.name));
  }
}

function emptyOutcome(identity: AgentIdentity): CredentialsOutcome {
  return {
    statuses: [],
    rotated: [],
    missingStores: [],
    nextCheckAt: undefined,
    handledRotationRequest: identity.status?.handledRotationRequest,
    failures: [],
  };
}

/**
 * Every credential the identity declares or still has in status, each with every store it
 * was written to (not only where the spec now says).
 */
function credentialsToRemove(identity: AgentIdentity): CredentialSpec[] {
  const recorded = new Map((identity.status?.credentials ?? []).map((c) => [c.name, c]));
  const byName = new Map<string, CredentialSpec>();
  for (const spec of identity.spec.credentials ?? []) {
    const status = recorded.get(spec.name);
    const store = status && storeOf(status) !== (spec.store ?? 'Vault') ? 'Both' : spec.store;
    byName.set(spec.name, { ...spec, ...(store ? { store } : {}) });
  }
  for (const status of recorded.values()) {
    if (!byName.has(status.name))
      byName.set(status.name, {
        name: status.name,
        rotation: { interval: '1h' },
        store: storeOf(status),
      });
  }
  return [...byName.values()];
}

/** A Secret of the copy's name exists and is not this agent's copy: it is left alone. */
export class SecretCopyConflict extends Error {
  constructor(name: string) {
    super(`Secret ${name} already exists and is not this agent's copy; it was left untouched`);
    this.name = 'SecretCopyConflict';
  }
}

/** Annotation values longer than status can hold are recorded by their hash. */
function requestId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value.length <= 200 ? value : `sha256:${createHash('sha256').update(value).digest('hex')}`;
}

function storeOf(status: CredentialStatus): CredentialSpec['store'] {
  const vault = status.storeVersions?.vault !== undefined;
  const aws = status.storeVersions?.awsSecretsManager !== undefined;
  if (vault && aws) return 'Both';
  return aws ? 'AWSSecretsManager' : 'Vault';
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
