import { isDeepStrictEqual } from 'node:util';
import type { AgentPolicyStatus } from '../../api/agent-policy.js';
import {
  ConditionType,
  Reason,
  mergeConditions,
  type DesiredCondition,
} from '../../api/conditions.js';
import { API_VERSION } from '../../api/constants.js';
import { AGENT_POLICY, type AgentPolicy } from '../../api/resources.js';
import type { ReconcileResult, Reconciler } from '../../runtime/controller.js';
import type { Informer } from '../../runtime/informer.js';
import { isNotFound, type KubeApi } from '../../runtime/kube-api.js';
import type { Logger } from '../../observability/logger.js';
import { policyPath } from '../resource-paths.js';

/** Ready for a policy: everything it declares can be honoured by this operator. */
export function policyReadyCondition(
  policy: AgentPolicy,
  allowedClusterRoles: ReadonlySet<string>,
): DesiredCondition {
  const refused = (policy.spec.kubernetes?.clusterRoles ?? []).filter(
    (name) => !allowedClusterRoles.has(name),
  );
  if (refused.length > 0) {
    return {
      type: ConditionType.Ready,
      status: 'False',
      reason: Reason.ClusterRoleNotAllowed,
      message: `ClusterRole ${refused.map((n) => `"${n}"`).join(', ')} is not on the operator's allow-list; identities using this policy will not be bound to it`,
    };
  }
  return {
    type: ConditionType.Ready,
    status: 'True',
    reason: Reason.Valid,
    message: 'the policy can be applied as declared',
  };
}

/** Reports in each AgentPolicy's status whether the operator can honour it. */
export class AgentPolicyReconciler implements Reconciler {
  constructor(
    private readonly api: KubeApi,
    private readonly policies: Informer<AgentPolicy>,
    private readonly allowedClusterRoles: ReadonlySet<string>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reconcile(key: string, log: Logger): Promise<ReconcileResult | undefined> {
    const policy = this.policies.getByKey(key);
    if (!policy || policy.metadata.deletionTimestamp) return undefined;

    const generation = policy.metadata.generation ?? 0;
    const condition = policyReadyCondition(policy, this.allowedClusterRoles);
    const status: AgentPolicyStatus = {
      ...policy.status,
      observedGeneration: generation,
      conditions: mergeConditions(policy.status?.conditions, [condition], generation, this.now()),
    };
    if (isDeepStrictEqual(policy.status ?? {}, status)) return undefined;

    try {
      await this.api.apply(policyPath(policy, 'status'), {
        apiVersion: API_VERSION,
        kind: AGENT_POLICY.kind,
        metadata: { name: policy.metadata.name, namespace: policy.metadata.namespace },
        status,
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    log.debug('policy status written', { ready: condition.status, reason: condition.reason });
    return undefined;
  }
}
