/**
 * How an agent's credential is named in each store: one place, one-to-one, and valid for
 * whatever names Kubernetes allows. Kubernetes namespaces and credential names are DNS labels
 * and agent names DNS subdomains, none of which may hold `/`, so joining them with `/` can
 * never make two agents share a location.
 */
export interface AgentRef {
  namespace: string;
  name: string;
}

/** The KV v2 path of a credential below the mount (no `data/` or `metadata/` here). */
export function vaultCredentialPath(prefix: string, agent: AgentRef, credential: string): string {
  return `${prefix}/${agent.namespace}/${agent.name}/${credential}`;
}

/** The path below the mount that holds all of an agent's credentials. */
export function vaultAgentPrefix(prefix: string, agent: AgentRef): string {
  return `${prefix}/${agent.namespace}/${agent.name}`;
}

/**
 * The AWS Secrets Manager name of a credential: at most 14 + 63 + 253 + 63 + 3 = 396
 * characters of `[a-z0-9.-/]`, inside AWS's limit of 512 and its allowed characters.
 */
export function awsSecretName(prefix: string, agent: AgentRef, credential: string): string {
  return `${prefix}/${agent.namespace}/${agent.name}/${credential}`;
}

/**
 * Vault object names (ACL policy, Kubernetes-auth role, identity entity) for an agent:
 * `agent.<namespace>.<name>`. Namespaces hold no dots, so the first two dots delimit the
 * namespace and the name stays one-to-one even when it holds dots itself.
 */
export function vaultObjectName(agent: AgentRef): string {
  return `agent.${agent.namespace}.${agent.name}`;
}
