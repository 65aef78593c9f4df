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

/** A label value (at most 63 characters) that stands for `value`. */
export function labelValue(value: string): string {
  return boundedName(value, MAX_LABEL_VALUE);
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
 * The ServiceAccount is `agent-<name>` (or the agent's name when it already starts with
 * `agent-`, or `spec.serviceAccount.name`, which must start with `agent-`): the prefix lets
 * the API server's authorization match conditions pick out agent identities by name alone.
 */
export function childNames(identity: AgentIdentity): ChildNames {
  const name = identity.metadata.name;
  const serviceAccount =
    identity.spec.serviceAccount?.name ??
    boundedName(name.startsWith(AGENT_SA_PREFIX) ? name : `${AGENT_SA_PREFIX}${name}`);
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
