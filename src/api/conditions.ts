import type { Condition } from './common.js';

/** The condition types an AgentIdentity reports; `Ready` summarises the others. */
export const ConditionType = {
  Ready: 'Ready',
  RBACReady: 'RBACReady',
  NetworkReady: 'NetworkReady',
  CredentialsReady: 'CredentialsReady',
  VaultReady: 'VaultReady',
  Suspended: 'Suspended',
  ReviewOverdue: 'ReviewOverdue',
  Quarantined: 'Quarantined',
  RiskAlert: 'RiskAlert',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

const OWN_TYPES = new Set<string>(Object.values(ConditionType));

/** The conditions this operator writes; others (written by other tools) are left alone. */
export function ownConditions<T extends { type: string }>(conditions: T[] | undefined): T[] {
  return (conditions ?? []).filter((c) => OWN_TYPES.has(c.type));
}

/** Condition reasons: PascalCase, stable, safe to alert on. */
export const Reason = {
  Reconciled: 'Reconciled',
  Applied: 'Applied',
  PolicyNotFound: 'PolicyNotFound',
  Forbidden: 'Forbidden',
  ClusterRoleNotAllowed: 'ClusterRoleNotAllowed',
  ApplyFailed: 'ApplyFailed',
  BindingsRemoved: 'BindingsRemoved',
  TrafficDenied: 'TrafficDenied',
  Suspended: 'Suspended',
  NotSuspended: 'NotSuspended',
  Expired: 'Expired',
  Deleting: 'Deleting',
  NotReady: 'NotReady',
  Valid: 'Valid',
  StoreUnavailable: 'StoreUnavailable',
  StoreNotConfigured: 'StoreNotConfigured',
  EntityDisabled: 'EntityDisabled',
  UpToDate: 'UpToDate',
  Rotated: 'Rotated',
  Repaired: 'Repaired',
  Offboarded: 'Offboarded',
  OffboardingBlocked: 'OffboardingBlocked',
  NameConflict: 'NameConflict',
  PathNotAllowed: 'PathNotAllowed',
  Quarantined: 'Quarantined',
  NotQuarantined: 'NotQuarantined',
  Released: 'Released',
  RiskNormal: 'RiskNormal',
  Alert: 'Alert',
  Restrict: 'Restrict',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A condition without its transition time, as reconcilers decide it. */
export interface DesiredCondition {
  type: ConditionType;
  status: ConditionStatus;
  reason: Reason;
  message: string;
}

/**
 * Merges decided conditions into the current list: a condition whose status did not change
 * keeps its lastTransitionTime, so rewriting the same status is a no-op.
 */
export function mergeConditions(
  current: Condition[] | undefined,
  desired: DesiredCondition[],
  observedGeneration: number,
  now: Date,
): Condition[] {
  const byType = new Map((current ?? []).map((c) => [c.type, c]));
  return desired.map((next) => {
    const previous = byType.get(next.type);
    const lastTransitionTime =
      previous && previous.status === next.status
        ? previous.lastTransitionTime
        : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { ...next, lastTransitionTime, observedGeneration };
  });
}

export function findCondition(
  conditions: Condition[] | undefined,
  type: ConditionType,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: Condition[] | undefined, type: ConditionType): boolean {
  return findCondition(conditions, type)?.status === 'True';
}
