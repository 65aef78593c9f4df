import { createHash } from 'node:crypto';
import { LABELS } from '../../api/constants.js';
import type { AgentIdentity } from '../../api/resources.js';

const MAX_NAME = 253;
const MAX_LABEL_VALUE = 63;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 8);
}

/**
 * `base` when it is a valid name of at most `max` characters; otherwise a valid name made of
 * as much of it as fits and a hash of the whole, so two different bases never share a name.
 */
export function boundedName(base: string, max = MAX_NAME): string {
  if (base.length <= max && DNS_SUBDOMAIN.test(base)) return base;
  const cleaned = base.toLowerCase().replace(/[^a-z0-9.-]+/g, '-');
  const head = cleaned
    .slice(0, max - 9)
    .replace(/^[^a-z0-9]+/, '')
    .replace(/[^a-z0-9]+$/, '');
  return `${head}${head ? '-' : ''}${shortHash(base)}`;
}

/**
 * The label value that stands for an agent name: the name itself when it fits in 63
 * characters, otherwise its start, `_` and a hash. Agent names never hold `_`, so a shortened
 * value can never equal another agent's own name.
 */
export function labelValue(name: string): string {
  if (name.length <= MAX_LABEL_VALUE) return name;
  const head = name.slice(0, MAX_LABEL_VALUE - 9).replace(/[^a-z0-9]+$/, '');
  return `${head}_${shortHash(name)}`;
}

/** The prefix every agent ServiceAccount carries, so webhooks can select agents by name. */
export const AGENT_SA_PREFIX = 'agent-';

/** Names of the objects the operator creates for one AgentIdentity. */
export interface ChildNames {
  serviceAccount: string;
  role: string;
  roleBinding: string;
  clusterRoleBinding: (clusterRole: string) => string;
  denyPolicy: string;
  allowPolicy: string;
  /** The label value that marks the agent's objects and, by default, its pods. */
  agentLabel: string;
}

/**
 * The ServiceAccount is `agent-<name>` (or `spec.serviceAccount.name`, which must start with
 * `agent-`): the prefix lets the API server's authorization match conditions pick out agent
 * identities by name alone. The prefix is always added, even to names that begin with it, so
 * agents `a` and `agent-a` never share a ServiceAccount.
 */
export function childNames(identity: AgentIdentity): ChildNames {
  const name = identity.metadata.name;
  const serviceAccount =
    identity.spec.serviceAccount?.name ?? boundedName(`${AGENT_SA_PREFIX}${name}`);
  return {
    serviceAccount,
    role: boundedName(`aio-${name}`),
    roleBinding: boundedName(`aio-${name}`),
    clusterRoleBinding: (clusterRole) => boundedName(`aio-${name}-cr-${clusterRole}`),
    denyPolicy: boundedName(`aio-${name}-default-deny`),
    allowPolicy: boundedName(`aio-${name}-allow`),
    agentLabel: labelValue(name),
  };
}

/** The label selector for an agent's pods when `workloadSelector` is left out. */
export function defaultWorkloadLabels(identity: AgentIdentity): Record<string, string> {
  return { [LABELS.agent]: labelValue(identity.metadata.name) };
}
