import { GROUP, VERSION } from '../api/constants.js';
import type { AgentIdentity, AgentPolicy } from '../api/resources.js';
import { AGENT_IDENTITY, AGENT_POLICY } from '../api/resources.js';
import { resourcePath, type ResourceType } from '../runtime/paths.js';

export const AGENT_IDENTITY_TYPE: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: AGENT_IDENTITY.plural,
  namespaced: true,
};

export const AGENT_POLICY_TYPE: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: AGENT_POLICY.plural,
  namespaced: true,
};

export function identityPath(identity: AgentIdentity, subresource?: string): string {
  return resourcePath(AGENT_IDENTITY_TYPE, {
    namespace: identity.metadata.namespace,
    name: identity.metadata.name,
    ...(subresource ? { subresource } : {}),
  });
}

export function policyPath(policy: AgentPolicy, subresource?: string): string {
  return resourcePath(AGENT_POLICY_TYPE, {
    namespace: policy.metadata.namespace,
    name: policy.metadata.name,
    ...(subresource ? { subresource } : {}),
  });
}
