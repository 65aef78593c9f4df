import type { ObjectMeta } from './object-meta.js';
import type { AgentIdentitySpec, AgentIdentityStatus } from './agent-identity.js';
import type { AgentPolicySpec, AgentPolicyStatus } from './agent-policy.js';

/** An AgentIdentity as read from the API server. */
export interface AgentIdentity {
  apiVersion: string;
  kind: 'AgentIdentity';
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: AgentIdentitySpec;
  status?: AgentIdentityStatus;
}

/** An AgentPolicy as read from the API server. */
export interface AgentPolicy {
  apiVersion: string;
  kind: 'AgentPolicy';
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: AgentPolicySpec;
  status?: AgentPolicyStatus;
}

/** What the operator needs to know to serve a kind: its names and REST path segments. */
export interface ResourceKind {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
}

export const AGENT_IDENTITY: ResourceKind = {
  kind: 'AgentIdentity',
  plural: 'agentidentities',
  singular: 'agentidentity',
  shortNames: ['agentid', 'aid'],
};

export const AGENT_POLICY: ResourceKind = {
  kind: 'AgentPolicy',
  plural: 'agentpolicies',
  singular: 'agentpolicy',
  shortNames: ['agentpol', 'apol'],
};
