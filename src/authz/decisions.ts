import type { AgentPolicy } from '../api/resources.js';
import type { ResponseLevel } from '../behavior/response.js';

/** What an agent runtime asks before an autonomous action. */
export interface DecisionRequest {
  action: string;
  resource?: string;
  /** The agent's own confidence in the action, from 0 to 1. */
  confidence: number;
}

export type DecisionAnswer = 'allow' | 'deny' | 'require-approval';

export interface Decision {
  decision: DecisionAnswer;
  reason: string;
}

export interface Autonomy {
  minConfidence: number | undefined;
  belowMinConfidence: 'Deny' | 'RequireApproval';
  alwaysRequireApproval: Set<string>;
}

/** The strictest autonomy of all the agent's policies. */
export function autonomyOf(policies: AgentPolicy[]): Autonomy {
  const minimums = policies
    .map((p) => p.spec.autonomy?.minConfidence)
    .filter((n): n is number => n !== undefined);
  return {
    minConfidence: minimums.length ? Math.max(...minimums) : undefined,
    belowMinConfidence: policies.some((p) => p.spec.autonomy?.belowMinConfidence === 'Deny')
      ? 'Deny'
      : 'RequireApproval',
    alwaysRequireApproval: new Set(
      policies.flatMap((p) => p.spec.autonomy?.alwaysRequireApproval ?? []),
    ),
  };
}

/**
 * Decides an autonomous action: a contained agent is denied; an agent whose risk calls for a
 * restriction needs approval; listed actions always need approval; below the minimum
 * confidence the policy's choice applies; otherwise the action is allowed.
 */
export function decide(
  request: DecisionRequest,
  autonomy: Autonomy,
  state: { contained: string | undefined; level: ResponseLevel; risk: number },
): Decision {
  if (state.contained)
    return { decision: 'deny', reason: `the agent is ${state.contained.toLowerCase()}` };
  if (state.level === 'Quarantine') return { decision: 'deny', reason: 'the agent is quarantined' };
  if (state.level === 'Restrict') {
    return {
      decision: 'require-approval',
      reason: `the agent's risk (${String(state.risk)}) calls for a human to approve`,
    };
  }
  if (autonomy.alwaysRequireApproval.has(request.action)) {
    return {
      decision: 'require-approval',
      reason: `${request.action} always needs approval under the agent's policy`,
    };
  }
  if (autonomy.minConfidence !== undefined && request.confidence < autonomy.minConfidence) {
    const what = `confidence ${String(request.confidence)} is below the policy minimum of ${String(autonomy.minConfidence)}`;
    return autonomy.belowMinConfidence === 'Deny'
      ? { decision: 'deny', reason: what }
      : { decision: 'require-approval', reason: what };
  }
  return { decision: 'allow', reason: 'within the agent policy' };
}
