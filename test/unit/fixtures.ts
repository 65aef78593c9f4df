import type { AgentIdentitySpec } from '../../src/api/agent-identity.js';
import type { AgentPolicySpec } from '../../src/api/agent-policy.js';
import type { AgentIdentity, AgentPolicy } from '../../src/api/resources.js';

/** A minimal valid AgentIdentity, with spec fields overridden. */
export function identity(
  name = 'billing-bot',
  spec: Partial<AgentIdentitySpec> = {},
): AgentIdentity {
  return {
    apiVersion: 'agentidentity.io/v1alpha1',
    kind: 'AgentIdentity',
    metadata: { name, namespace: 'team-a', uid: `uid-${name}`, generation: 1 },
    spec: { owner: 'team-a', purpose: 'test', ...spec },
  };
}

export function policy(name: string, spec: AgentPolicySpec): AgentPolicy {
  return {
    apiVersion: 'agentidentity.io/v1alpha1',
    kind: 'AgentPolicy',
    metadata: { name, namespace: 'team-a', uid: `uid-${name}`, generation: 1 },
    spec,
  };
}
