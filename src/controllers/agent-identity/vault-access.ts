import { createHash } from 'node:crypto';
import type { AgentIdentity, AgentPolicy } from '../../api/resources.js';
import { renderAclPolicy } from '../../providers/vault/acl-policy.js';
import type { VaultIdentities } from '../../providers/vault/identity.js';
import { KvPaths } from '../../providers/vault/kv-paths.js';
import { vaultAgentPrefix, vaultObjectName } from '../../providers/naming.js';

export interface VaultAccessOptions {
  kvMount: string;
  kvPrefix: string;
  tokenTtl: string;
  tokenMaxTtl: string;
}

/**
 * An agent's identity in Vault: the ACL policy rendered from its policies' `vault.paths` plus
 * read access to its own credentials, a Kubernetes-auth role bound to its ServiceAccount, and
 * an entity (disabled while the agent is contained). What was last written is remembered per
 * agent, so a resync of unchanged agents makes no Vault calls.
 */
export class VaultAccess {
  private readonly applied = new Map<string, string>();

  constructor(
    private readonly identities: VaultIdentities,
    private readonly options: VaultAccessOptions,
  ) {}

  /** The ACL policy text for an agent (pure; exported for tests and the docs). */
  policyFor(identity: AgentIdentity, policies: AgentPolicy[]): string {
    const agent = { namespace: identity.metadata.namespace, name: identity.metadata.name };
    const own = new KvPaths(this.options.kvMount, vaultAgentPrefix(this.options.kvPrefix, agent))
      .data;
    return renderAclPolicy(
      own,
      policies.flatMap((p) => p.spec.vault?.paths ?? []),
    );
  }

  async ensure(
    identity: AgentIdentity,
    serviceAccount: { name: string; uid: string },
    policies: AgentPolicy[],
    disabled: boolean,
  ): Promise<{ name: string; entityId: string }> {
    const name = vaultObjectName({
      namespace: identity.metadata.namespace,
      name: identity.metadata.name,
    });
    const state = {
      name,
      policy: this.policyFor(identity, policies),
      serviceAccount: { ...serviceAccount, namespace: identity.metadata.namespace },
      metadata: {
        owner: identity.spec.owner,
        purpose: identity.spec.purpose.slice(0, 512),
        namespace: identity.metadata.namespace,
        agent: identity.metadata.name,
      },
      disabled,
      tokenTtl: this.options.tokenTtl,
      tokenMaxTtl: this.options.tokenMaxTtl,
    };
    const key = identity.metadata.uid ?? name;
    const digest = createHash('sha256').update(JSON.stringify(state)).digest('hex');
    const remembered = this.applied.get(key);
    const previousEntity = identity.status?.owned?.vaultEntityId;
    if (remembered === digest && previousEntity) return { name, entityId: previousEntity };

    const { entityId } = await this.identities.ensure(state);
    this.applied.set(key, digest);
    return { name, entityId };
  }

  /** Disables the entity at once (quarantine), whatever was remembered. */
  async disable(identity: AgentIdentity): Promise<void> {
    this.applied.delete(identity.metadata.uid ?? '');
    await this.identities.setDisabled(
      vaultObjectName({ namespace: identity.metadata.namespace, name: identity.metadata.name }),
      true,
    );
  }

  /** Offboarding: disable, then delete role, policy and entity. */
  async remove(identity: AgentIdentity): Promise<void> {
    this.applied.delete(identity.metadata.uid ?? '');
    await this.identities.remove(
      vaultObjectName({ namespace: identity.metadata.namespace, name: identity.metadata.name }),
    );
  }
}
