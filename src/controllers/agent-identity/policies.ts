import type { AgentIdentity, AgentPolicy } from '../../api/resources.js';

export interface ResolvedPolicies {
  found: AgentPolicy[];
  missing: string[];
}

/**
 * Looks up the identity's policy references in the cache. A missing policy is reported, not
 * fatal: the agent gets what the policies that exist allow, which is never more.
 */
export function resolvePolicies(
  identity: AgentIdentity,
  lookup: (namespace: string, name: string) => AgentPolicy | undefined,
): ResolvedPolicies {
  const found: AgentPolicy[] = [];
  const missing: string[] = [];
  for (const ref of identity.spec.policyRefs ?? []) {
    const policy = lookup(identity.metadata.namespace, ref.name);
    if (policy && !policy.metadata.deletionTimestamp) found.push(policy);
    else missing.push(ref.name);
  }
  return { found, missing };
}

/** Index values for the policy index: `namespace/policy` for each referenced policy. */
export function referencedPolicyKeys(identity: AgentIdentity): string[] {
  return (identity.spec.policyRefs ?? []).map(
    (ref) => `${identity.metadata.namespace}/${ref.name}`,
  );
}
