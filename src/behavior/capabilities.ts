import type { PolicyRule } from '../api/common.js';
import type { AgentPolicy } from '../api/resources.js';
import type { ResourceRequest } from './observation.js';

/** Requests every agent may make about itself; RBAC still decides them. */
const ALWAYS_ALLOWED = new Set([
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews',
  'authentication.k8s.io/selfsubjectreviews',
]);

/** What an agent may do: its policies' rules plus those of the ClusterRoles it is bound to. */
export interface Capabilities {
  namespace: string;
  rules: PolicyRule[];
  forbiddenVerbs: Set<string>;
  forbiddenResources: Set<string>;
  requestsPerMinute: number | undefined;
}

function ruleMatches(rule: PolicyRule, request: ResourceRequest): boolean {
  const resource = request.subresource
    ? `${request.resource}/${request.subresource}`
    : request.resource;
  return (
    rule.apiGroups.includes(request.group) &&
    rule.resources.includes(resource) &&
    rule.verbs.includes(request.verb as PolicyRule['verbs'][number]) &&
    (!rule.resourceNames?.length || rule.resourceNames.includes(request.name))
  );
}

/** The union of what the policies declare, and their hard limits (strictest wins). */
export function capabilitiesOf(
  namespace: string,
  policies: AgentPolicy[],
  clusterRoleRules: PolicyRule[],
): Capabilities {
  const ceilings = policies
    .map((p) => p.spec.behavior?.limits?.requestsPerMinute)
    .filter((n): n is number => n !== undefined);
  return {
    namespace,
    rules: [...policies.flatMap((p) => p.spec.kubernetes?.rules ?? []), ...clusterRoleRules],
    forbiddenVerbs: new Set(policies.flatMap((p) => p.spec.behavior?.limits?.forbiddenVerbs ?? [])),
    forbiddenResources: new Set(
      policies.flatMap((p) => p.spec.behavior?.limits?.forbiddenResources ?? []),
    ),
    requestsPerMinute: ceilings.length ? Math.min(...ceilings) : undefined,
  };
}

export type CapabilityVerdict =
  { kind: 'within' } | { kind: 'outside'; reason: string } | { kind: 'forbidden'; reason: string };

/**
 * The forbidden entry a request hits, if any. An entry names a resource as `resource`,
 * `group/resource`, or either with `/subresource` (`pods/exec`); a bare resource forbids
 * its subresources too, and a bare name matches in every API group.
 */
function forbiddenResource(
  forbidden: ReadonlySet<string>,
  request: ResourceRequest,
): string | undefined {
  if (forbidden.size === 0) return undefined;
  const grouped = request.group ? `${request.group}/${request.resource}` : request.resource;
  const names = [request.resource, grouped];
  if (request.subresource)
    names.push(`${request.resource}/${request.subresource}`, `${grouped}/${request.subresource}`);
  return names.find((name) => forbidden.has(name));
}

/**
 * Whether a resource request is within the agent's declared capabilities. Hard limits
 * (forbidden verbs and resources) are checked first; then the request must be in the agent's
 * own namespace and match one of its rules.
 */
export function checkRequest(
  capabilities: Capabilities,
  request: ResourceRequest,
): CapabilityVerdict {
  const resource = request.group ? `${request.group}/${request.resource}` : request.resource;
  if (capabilities.forbiddenVerbs.has(request.verb)) {
    return {
      kind: 'forbidden',
      reason: `the verb ${request.verb} is forbidden by the agent's policy`,
    };
  }
  const forbidden = forbiddenResource(capabilities.forbiddenResources, request);
  if (forbidden) {
    return {
      kind: 'forbidden',
      reason: `the resource ${forbidden} is forbidden by the agent's policy`,
    };
  }
  if (ALWAYS_ALLOWED.has(resource)) return { kind: 'within' };
  if (request.namespace !== capabilities.namespace) {
    const where = request.namespace ? `namespace ${request.namespace}` : 'cluster scope';
    return {
      kind: 'outside',
      reason: `${request.verb} ${resource} in ${where} is outside the agent's namespace`,
    };
  }
  if (capabilities.rules.some((rule) => ruleMatches(rule, request))) return { kind: 'within' };
  return {
    kind: 'outside',
    reason: `${request.verb} ${resource} is not among the capabilities its policies declare`,
  };
}
