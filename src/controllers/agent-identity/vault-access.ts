import { createHash } from 'node:crypto';
import type { VaultPath } from '../../api/agent-policy.js';
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
  /**
   * The only prefixes `vault.paths` may grant, `{namespace}` standing for the agent's
   * namespace. Anything else (sys/, auth/, identity/, another team's paths) is refused.
   */
  pathPrefixes: string[];
}

/** How long a written Vault state is trusted before it is written again (repairing hand edits). */
const REWRITE_AFTER_MS = 5 * 60_000;

/** A deny-all policy: what a contained agent's token carries, whatever its entity says. */
const CONTAINED_POLICY =
  '# Managed by agent-identity-operator: the agent is contained.\npath "*" {\n  capabilities = ["deny"]\n}\n';

/** Cuts a string to at most `bytes` UTF-8 bytes without splitting a character. */
function truncateBytes(value: string, bytes: number): string {
  let out = '';
  for (const ch of value) {
    if (Buffer.byteLength(out + ch) > bytes) break;
    out += ch;
  }
  return out;
}

/**
 * An agent's identity in Vault: the ACL policy rendered from its policies' `vault.paths` plus
 * read access to its own credentials, a Kubernetes-auth role bound to its ServiceAccount, and
 * an entity (disabled while the agent is contained). What was last written is remembered per
 * agent for a few minutes, so most reconciles make no Vault calls, while a hand edit in Vault
 * is still undone by the next write after that.
 */
export class VaultAccess {
  private readonly applied = new Map<string, { digest: string; at: number }>();

  constructor(
    private readonly identities: VaultIdentities,
    private readonly options: VaultAccessOptions,
  ) {}

  /** Declared paths split into those inside the allowed prefixes and those refused. */
  allowedPaths(
    identity: AgentIdentity,
    policies: AgentPolicy[],
  ): { allowed: VaultPath[]; refused: string[] } {
    const namespace = identity.metadata.namespace;
    const prefixes = this.options.pathPrefixes.map((p) => p.replaceAll('{namespace}', namespace));
    const credentials = [
      `${this.options.kvMount}/data/${this.options.kvPrefix}/`,
      `${this.options.kvMount}/metadata/${this.options.kvPrefix}/`,
    ];
    const allowed: VaultPath[] = [];
    const refused: string[] = [];
    for (const path of policies.flatMap((p) => p.spec.vault?.paths ?? [])) {
      const inside = prefixes.some(
        (prefix) => path.path.startsWith(prefix) && path.path.length > prefix.length,
      );
      const touchesCredentials = credentials.some(
        (c) => path.path.startsWith(c) || c.startsWith(path.path.replace(/\*$/, '')),
      );
      if (inside && !touchesCredentials) allowed.push(path);
      else refused.push(path.path);
    }
    return { allowed, refused };
  }

  /** The ACL policy text for an agent: its own credentials plus its allowed declared paths. */
  policyFor(identity: AgentIdentity, policies: AgentPolicy[]): string {
    const agent = { namespace: identity.metadata.namespace, name: identity.metadata.name };
    const own = new KvPaths(this.options.kvMount, vaultAgentPrefix(this.options.kvPrefix, agent))
      .data;
    return renderAclPolicy(own, this.allowedPaths(identity, policies).allowed);
  }

  async ensure(
    identity: AgentIdentity,
    serviceAccount: { name: string; uid: string },
    policies: AgentPolicy[],
    disabled: boolean,
  ): Promise<{ name: string; entityId: string; refusedPaths: string[] }> {
    const refusedPaths = this.allowedPaths(identity, policies).refused;
    const name = vaultObjectName({
      namespace: identity.metadata.namespace,
      name: identity.metadata.name,
    });
    const state = {
      name,
      // A contained agent's policy denies everything, so even a token of an entity someone
      // re-enabled by hand gets nothing.
      policy: disabled ? CONTAINED_POLICY : this.policyFor(identity, policies),
      serviceAccount: { ...serviceAccount, namespace: identity.metadata.namespace },
      metadata: {
        // Vault counts the limit in bytes.
        purpose: truncateBytes(identity.spec.purpose, 500),
        owner: truncateBytes(identity.spec.owner, 250),
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
    const fresh = remembered?.digest === digest && Date.now() - remembered.at < REWRITE_AFTER_MS;
    if (fresh && previousEntity) return { name, entityId: previousEntity, refusedPaths };

    const { entityId } = await this.identities.ensure(state);
    this.applied.set(key, { digest, at: Date.now() });
    return { name, entityId, refusedPaths };
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
