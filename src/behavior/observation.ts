/** One thing an agent did, as the behaviour engine sees it. Never carries a value or token. */
export interface Observation {
  /** `namespace/name` of the AgentIdentity. */
  agent: string;
  at: number;
  source: 'api' | 'vault' | 'decision';
  /** API verb (get, list, …), Vault operation (read, update, …) or decision action. */
  verb: string;
  /** `resource` or `group/resource` for the API, the path for Vault. */
  resource: string;
  namespace?: string;
  outcome: 'ok' | 'error' | 'denied';
  /** The request fell outside every capability the agent's policies declare. */
  outsideCapabilities?: boolean;
  /** A Vault secret path read or written. */
  secretPath?: string;
  /** The API request as the audit event names it: judged against the capabilities. */
  request?: ResourceRequest;
}

/** The parts of a SubjectAccessReview's resource attributes the operator uses. */
export interface ResourceRequest {
  verb: string;
  group: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

/** `group/resource[/subresource]`, with the core group left out: how resources are named. */
export function resourceName(
  request: Pick<ResourceRequest, 'group' | 'resource' | 'subresource'>,
): string {
  const base = request.group ? `${request.group}/${request.resource}` : request.resource;
  return request.subresource ? `${base}/${request.subresource}` : base;
}

const SA_PREFIX = 'system:serviceaccount:';

/** The namespace and name of a ServiceAccount user name, if it is one. */
export function parseServiceAccountUser(
  user: string,
): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SA_PREFIX)) return undefined;
  const [namespace, name, extra] = user.slice(SA_PREFIX.length).split(':');
  if (!namespace || !name || extra !== undefined) return undefined;
  return { namespace, name };
}
