import type { CredentialSpec } from '../../../api/agent-identity.js';
import type { AgentIdentity } from '../../../api/resources.js';
import { awsSecretName, vaultCredentialPath } from '../../../providers/naming.js';
import type { SecretLocation, SecretStore } from '../../../providers/secret-store.js';

export type StoreKey = 'vault' | 'awsSecretsManager';

/** The secret stores the operator was configured with; either may be absent. */
export interface CredentialBackends {
  vault?: { store: SecretStore; pathPrefix: string };
  aws?: { store: SecretStore; namePrefix: string };
}

export interface BoundStore {
  key: StoreKey;
  store: SecretStore;
  location: SecretLocation;
}

/** Owner, agent and namespace: written as tags (AWS) or custom metadata (Vault). */
export function credentialTags(identity: AgentIdentity): Record<string, string> {
  return {
    owner: identity.spec.owner,
    agent: identity.metadata.name,
    namespace: identity.metadata.namespace,
    'managed-by': 'agent-identity-operator',
  };
}

/**
 * The stores a credential is written to, primary first (Vault before AWS when both), or
 * the name of a store it asks for that is not configured.
 */
export function bindStores(
  identity: AgentIdentity,
  spec: CredentialSpec,
  backends: CredentialBackends,
): { stores: BoundStore[]; missing: string[] } {
  const wanted = spec.store ?? 'Vault';
  const agent = { namespace: identity.metadata.namespace, name: identity.metadata.name };
  const tags = credentialTags(identity);
  const stores: BoundStore[] = [];
  const missing: string[] = [];
  if (wanted === 'Vault' || wanted === 'Both') {
    if (backends.vault) {
      stores.push({
        key: 'vault',
        store: backends.vault.store,
        location: { name: vaultCredentialPath(backends.vault.pathPrefix, agent, spec.name), tags },
      });
    } else missing.push('Vault');
  }
  if (wanted === 'AWSSecretsManager' || wanted === 'Both') {
    if (backends.aws) {
      stores.push({
        key: 'awsSecretsManager',
        store: backends.aws.store,
        location: { name: awsSecretName(backends.aws.namePrefix, agent, spec.name), tags },
      });
    } else missing.push('AWSSecretsManager');
  }
  return { stores, missing };
}
