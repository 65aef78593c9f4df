import type { AgentIdentityStatus, Phase } from '../../api/agent-identity.js';
import {
  ConditionType,
  Reason,
  mergeConditions,
  type DesiredCondition,
} from '../../api/conditions.js';
import type { AgentIdentity } from '../../api/resources.js';
import type { BackendOutcome } from './backends.js';
import type { AreaOutcome, ChildrenOutcome } from './children.js';
import type { LifecycleDecision } from './lifecycle.js';
import { safeMessage } from './backends.js';
import type { ChildNames } from './names.js';
import type { NetworkPlan } from './network-policy.js';
import type { ResolvedPolicies } from './policies.js';
import type { RbacPlan } from './rbac.js';

export interface StatusInputs {
  identity: AgentIdentity;
  names: ChildNames;
  policies: ResolvedPolicies;
  rbac: RbacPlan;
  network: NetworkPlan;
  outcome: ChildrenOutcome;
  lifecycle: LifecycleDecision;
  backends: BackendOutcome;
  now: Date;
}

function failureReason(outcome: Extract<AreaOutcome, { ok: false }>): Reason {
  if (outcome.conflict) return Reason.NameConflict;
  return outcome.forbidden ? Reason.Forbidden : Reason.ApplyFailed;
}

const quote = (names: string[]): string => names.map((n) => `"${n}"`).join(', ');

/** RBACReady: every binding the policies ask for is in place, and nothing was refused. */
export function rbacCondition(inputs: StatusInputs): DesiredCondition {
  const { policies, rbac, outcome, lifecycle } = inputs;
  const type = ConditionType.RBACReady;
  if (!outcome.rbac.ok) {
    return {
      type,
      status: 'False',
      reason: failureReason(outcome.rbac),
      message: outcome.rbac.message,
    };
  }
  if (policies.missing.length > 0) {
    return {
      type,
      status: 'False',
      reason: Reason.PolicyNotFound,
      message: `AgentPolicy ${quote(policies.missing)} not found in this namespace; the agent has only what the other policies grant`,
    };
  }
  if (rbac.refusedClusterRoles.length > 0) {
    return {
      type,
      status: 'False',
      reason: Reason.ClusterRoleNotAllowed,
      message: `ClusterRole ${quote(rbac.refusedClusterRoles)} is not on the operator's allow-list and was not bound`,
    };
  }
  if (lifecycle.containment !== 'None') {
    return {
      type,
      status: 'True',
      reason: Reason.BindingsRemoved,
      message: `the agent is ${lifecycle.containment.toLowerCase()}; it holds no bindings`,
    };
  }
  return {
    type,
    status: 'True',
    reason: Reason.Applied,
    message: `${String(rbac.bindings.length)} binding(s) in place`,
  };
}

export function networkCondition(outcome: AreaOutcome, inputs: StatusInputs): DesiredCondition {
  const type = ConditionType.NetworkReady;
  if (!outcome.ok) {
    return { type, status: 'False', reason: failureReason(outcome), message: outcome.message };
  }
  if (inputs.lifecycle.containment !== 'None') {
    return {
      type,
      status: 'True',
      reason: Reason.TrafficDenied,
      message: 'all ingress and egress of the agent pods is denied',
    };
  }
  return {
    type,
    status: 'True',
    reason: Reason.Applied,
    message: inputs.network.allow
      ? 'default deny plus the traffic its policies allow'
      : 'default deny; its policies allow no traffic',
  };
}

function suspendedCondition(lifecycle: LifecycleDecision): DesiredCondition {
  if (lifecycle.containment === 'Suspended') {
    return {
      type: ConditionType.Suspended,
      status: 'True',
      reason: Reason.Suspended,
      message: 'spec.lifecycle.suspended is set: bindings removed and traffic denied',
    };
  }
  if (lifecycle.containment === 'Expired') {
    return {
      type: ConditionType.Suspended,
      status: 'True',
      reason: Reason.Expired,
      message: 'spec.lifecycle.expiresAt has passed: bindings removed and traffic denied',
    };
  }
  return {
    type: ConditionType.Suspended,
    status: 'False',
    reason: Reason.NotSuspended,
    message: 'the agent is active',
  };
}

/** VaultReady: present only when the operator is configured with Vault. */
export function vaultCondition(
  outcome: BackendOutcome['vault'],
  lifecycle: LifecycleDecision,
): DesiredCondition | undefined {
  const type = ConditionType.VaultReady;
  if (lifecycle.containment === 'Expired') {
    return {
      type,
      status: 'True',
      reason: Reason.Offboarded,
      message: 'the agent expired: its Vault policy, role and entity were removed',
    };
  }
  if (outcome.state === 'skipped') return undefined;
  if (outcome.state === 'failed') {
    return {
      type,
      status: 'False',
      reason: outcome.conflict ? Reason.NameConflict : Reason.StoreUnavailable,
      message: outcome.message,
    };
  }
  if (outcome.value.refusedPaths.length > 0 && !outcome.value.disabled) {
    return {
      type,
      status: 'False',
      reason: Reason.PathNotAllowed,
      message:
        `vault.paths outside the prefixes the operator allows were left out: ${outcome.value.refusedPaths.join(', ')}`.slice(
          0,
          1024,
        ),
    };
  }
  if (outcome.value.disabled) {
    return {
      type,
      status: 'True',
      reason: Reason.EntityDisabled,
      message: `Vault entity ${outcome.value.name} is disabled: its tokens and logins are refused`,
    };
  }
  return {
    type,
    status: 'True',
    reason: Reason.Applied,
    message: `Vault policy, Kubernetes-auth role and entity ${outcome.value.name} are in place`,
  };
}

/** CredentialsReady: present only when the identity declares (or still has) credentials. */
export function credentialsCondition(
  outcome: BackendOutcome['credentials'],
): DesiredCondition | undefined {
  const type = ConditionType.CredentialsReady;
  if (outcome.state === 'skipped') return undefined;
  if (outcome.state === 'failed') {
    return { type, status: 'False', reason: Reason.StoreUnavailable, message: outcome.message };
  }
  const result = outcome.value;
  if (result === 'offboarded') {
    return {
      type,
      status: 'True',
      reason: Reason.Offboarded,
      message: 'the agent expired: its credentials were removed',
    };
  }
  if (result.missingStores.length > 0) {
    return {
      type,
      status: 'False',
      reason: Reason.StoreNotConfigured,
      message: `the operator is not configured for ${[...new Set(result.missingStores)].join(' and ')}, which a credential asks for`,
    };
  }
  if (result.failures.length > 0) {
    return {
      type,
      status: 'False',
      reason: Reason.StoreUnavailable,
      message: result.failures
        .map((f) => `${f.name}: ${safeMessage(f.error)}`)
        .join('; ')
        .slice(0, 1024),
    };
  }
  const repaired = result.statuses
    .filter((c) => c.lastWriteReason === 'Repaired')
    .map((c) => c.name);
  if (repaired.length > 0) {
    return {
      type,
      status: 'True',
      reason: Reason.Repaired,
      message: `${repaired.join(', ')}: the latest version had been deleted or destroyed; a fresh version was written`,
    };
  }
  const rotated = result.rotated.map((r) => r.name);
  return {
    type,
    status: 'True',
    reason: rotated.length > 0 ? Reason.Rotated : Reason.UpToDate,
    message:
      rotated.length > 0
        ? `rotated: ${rotated.join(', ')}`
        : `${String(result.statuses.length)} credential(s) current`,
  };
}

function readyCondition(parts: DesiredCondition[], lifecycle: LifecycleDecision): DesiredCondition {
  const failing = parts.filter((c) => c.status !== 'True');
  if (failing.length > 0) {
    return {
      type: ConditionType.Ready,
      status: 'False',
      reason: Reason.NotReady,
      message: failing.map((c) => `${c.type}: ${c.reason}`).join('; '),
    };
  }
  if (lifecycle.containment !== 'None') {
    const reasons = {
      Expired: Reason.Expired,
      Suspended: Reason.Suspended,
      Quarantined: Reason.Quarantined,
    };
    return {
      type: ConditionType.Ready,
      status: 'False',
      reason: reasons[lifecycle.containment],
      message: `the agent is ${lifecycle.containment.toLowerCase()}`,
    };
  }
  return {
    type: ConditionType.Ready,
    status: 'True',
    reason: Reason.Reconciled,
    message: 'the agent identity is in place',
  };
}

function phaseOf(ready: DesiredCondition, lifecycle: LifecycleDecision): Phase {
  if (lifecycle.containment !== 'None') return lifecycle.containment;
  return ready.status === 'True' ? 'Active' : 'Pending';
}

/** Quarantined: whether a quarantine is in force, since when and why (status.quarantine). */
function quarantineCondition(
  identity: AgentIdentity,
  lifecycle: LifecycleDecision,
): DesiredCondition {
  const quarantine = identity.status?.quarantine;
  if (lifecycle.containment === 'Quarantined') {
    return {
      type: ConditionType.Quarantined,
      status: 'True',
      reason: Reason.Quarantined,
      message: `since ${quarantine?.since ?? '?'}: ${quarantine?.reason ?? 'risk threshold crossed'}; released only by the agentidentity.io/release-quarantine annotation`,
    };
  }
  if (quarantine?.releasedAt) {
    return {
      type: ConditionType.Quarantined,
      status: 'False',
      reason: Reason.Released,
      message: `released by ${quarantine.releasedBy ?? '?'} at ${quarantine.releasedAt}`,
    };
  }
  return {
    type: ConditionType.Quarantined,
    status: 'False',
    reason: Reason.NotQuarantined,
    message: 'never quarantined',
  };
}

/** RiskAlert: the behaviour engine's current response, with the strongest evidence. */
function riskCondition(identity: AgentIdentity): DesiredCondition {
  const behavior = identity.status?.behavior;
  const level = behavior?.response ?? 'None';
  if (level === 'Alert' || level === 'Restrict') {
    return {
      type: ConditionType.RiskAlert,
      status: 'True',
      reason: level === 'Alert' ? Reason.Alert : Reason.Restrict,
      message:
        `risk ${String(behavior?.riskScore ?? '?')}: ${(behavior?.evidence ?? []).join('; ')}`.slice(
          0,
          1024,
        ),
    };
  }
  return {
    type: ConditionType.RiskAlert,
    status: 'False',
    reason: Reason.RiskNormal,
    message: behavior?.baselineReady
      ? 'behaviour is within its baseline'
      : 'the baseline is still being learned',
  };
}

/**
 * The status the identity should have after this reconcile. Credentials are carried over
 * when not reconciled; `behavior` and `quarantine` belong to the behaviour side (its own
 * field manager) and are left out, so this write never touches them.
 */
export function buildStatus(inputs: StatusInputs): AgentIdentityStatus {
  const { identity, names, rbac, network, outcome, lifecycle, backends, now } = inputs;
  const parts = [
    rbacCondition(inputs),
    networkCondition(outcome.network, inputs),
    vaultCondition(backends.vault, lifecycle),
    credentialsCondition(backends.credentials),
  ].filter((c): c is DesiredCondition => c !== undefined);
  const ready = readyCondition(parts, lifecycle);
  const generation = identity.metadata.generation ?? 0;
  const previous = identity.status ?? {};
  const decided = [
    ready,
    ...parts,
    suspendedCondition(lifecycle),
    quarantineCondition(identity, lifecycle),
    riskCondition(identity),
  ];
  const { behavior: _behavior, quarantine: _quarantine, ...ours } = previous;

  return {
    ...ours,
    phase: phaseOf(ready, lifecycle),
    observedGeneration: generation,
    // Only the operator's own conditions: others' stay theirs under server-side apply.
    conditions: mergeConditions(previous.conditions, decided, generation, now),
    ...credentialFields(previous, backends, lifecycle, now),
    owned: {
      ...vaultNames(previous, backends),
      serviceAccount: names.serviceAccount,
      ...(rbac.role ? { role: rbac.role.metadata?.name ?? '' } : {}),
      roleBindings: rbac.bindings.map((b) => b.metadata?.name ?? ''),
      networkPolicies: [network.deny, ...(network.allow ? [network.allow] : [])].map(
        (np) => np.metadata?.name ?? '',
      ),
    },
  };
}

/** The credential part of status: schedules per credential, the last rotation, the request handled. */
function credentialFields(
  previous: AgentIdentityStatus,
  backends: BackendOutcome,
  lifecycle: LifecycleDecision,
  now: Date,
): Pick<
  AgentIdentityStatus,
  'credentials' | 'lastRotationAt' | 'handledRotationRequest' | 'offboardedAt'
> {
  const result = backends.credentials;
  if (lifecycle.containment === 'Expired' && result.state === 'done') {
    return {
      credentials: [],
      lastRotationAt: previous.lastRotationAt,
      handledRotationRequest: previous.handledRotationRequest,
      offboardedAt: previous.offboardedAt ?? now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  }
  if (result.state !== 'done' || result.value === 'offboarded') {
    return {
      credentials: previous.credentials,
      lastRotationAt: previous.lastRotationAt,
      handledRotationRequest: previous.handledRotationRequest,
      offboardedAt: undefined,
    };
  }
  const rotations = result.value.statuses
    .map((c) => c.rotatedAt)
    .filter((t): t is string => t !== undefined)
    .sort();
  return {
    credentials: result.value.statuses,
    lastRotationAt: rotations.at(-1) ?? previous.lastRotationAt,
    handledRotationRequest: result.value.handledRotationRequest,
    offboardedAt: undefined,
  };
}

function vaultNames(
  previous: AgentIdentityStatus,
  backends: BackendOutcome,
): { vaultIdentity?: string; vaultEntityId?: string } {
  if (backends.vault.state === 'done') {
    return {
      vaultIdentity: backends.vault.value.name,
      vaultEntityId: backends.vault.value.entityId,
    };
  }
  if (backends.vault.state === 'failed') {
    const { vaultIdentity, vaultEntityId } = previous.owned ?? {};
    return {
      ...(vaultIdentity ? { vaultIdentity } : {}),
      ...(vaultEntityId ? { vaultEntityId } : {}),
    };
  }
  return {};
}
