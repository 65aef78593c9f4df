import type { AgentIdentityStatus, Phase } from '../../api/agent-identity.js';
import {
  ConditionType,
  Reason,
  mergeConditions,
  type DesiredCondition,
} from '../../api/conditions.js';
import type { AgentIdentity } from '../../api/resources.js';
import type { AreaOutcome, ChildrenOutcome } from './children.js';
import type { LifecycleDecision } from './lifecycle.js';
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
  now: Date;
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
      reason: outcome.rbac.forbidden ? Reason.Forbidden : Reason.ApplyFailed,
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
    return { type, status: 'False', reason: Reason.ApplyFailed, message: outcome.message };
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
    return {
      type: ConditionType.Ready,
      status: 'False',
      reason: lifecycle.containment === 'Expired' ? Reason.Expired : Reason.Suspended,
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
  if (lifecycle.containment === 'Expired') return 'Expired';
  if (lifecycle.containment === 'Suspended') return 'Suspended';
  return ready.status === 'True' ? 'Active' : 'Pending';
}

/**
 * The status the identity should have after this reconcile. Fields owned by other parts of
 * the operator (credentials, behaviour, quarantine) are carried over unchanged.
 */
export function buildStatus(inputs: StatusInputs): AgentIdentityStatus {
  const { identity, names, rbac, network, outcome, lifecycle, now } = inputs;
  const rbacReady = rbacCondition(inputs);
  const networkReady = networkCondition(outcome.network, inputs);
  const ready = readyCondition([rbacReady, networkReady], lifecycle);
  const generation = identity.metadata.generation ?? 0;
  const previous = identity.status ?? {};
  const decided = [ready, rbacReady, networkReady, suspendedCondition(lifecycle)];
  const decidedTypes = new Set<string>(decided.map((c) => c.type));
  const kept = (previous.conditions ?? []).filter((c) => !decidedTypes.has(c.type));

  return {
    ...previous,
    phase: phaseOf(ready, lifecycle),
    observedGeneration: generation,
    conditions: [...mergeConditions(previous.conditions, decided, generation, now), ...kept],
    owned: {
      serviceAccount: names.serviceAccount,
      ...(rbac.role ? { role: rbac.role.metadata?.name ?? '' } : {}),
      roleBindings: rbac.bindings.map((b) => b.metadata?.name ?? ''),
      networkPolicies: [network.deny, ...(network.allow ? [network.allow] : [])].map(
        (np) => np.metadata?.name ?? '',
      ),
    },
  };
}
