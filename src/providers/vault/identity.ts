import type { VaultConnection } from './vault-client.js';
import { NotFoundError } from '../secret-store.js';

export interface AgentVaultState {
  /** ACL policy, Kubernetes-auth role and entity name (one name for all three). */
  name: string;
  policy: string;
  serviceAccount: { name: string; namespace: string; uid: string };
  metadata: Record<string, string>;
  disabled: boolean;
  tokenTtl: string;
  tokenMaxTtl: string;
}

export interface KubernetesAuthConfig {
  host: string;
  caCert: string;
  reviewerJwt: string;
}

/**
 * Vault-side identity of agents: ACL policy, Kubernetes-auth role and identity entity with
 * an alias for the auth mount. Disabling the entity is what stops every token the agent
 * holds at once (Vault refuses requests and logins of a disabled entity's tokens).
 */
export class VaultIdentities {
  private accessor: string | undefined;

  constructor(
    private readonly connection: VaultConnection,
    private readonly authMount: string,
  ) {}

  /** Enables the Kubernetes auth method when missing and points it at the cluster. */
  async configureKubernetesAuth(config: KubernetesAuthConfig): Promise<void> {
    const mounts = await this.connection.call<
      Record<string, unknown> & { data?: Record<string, unknown> }
    >('list auth methods', async (c) => c.auths());
    const table = mounts.data ?? mounts;
    if (!(`${this.authMount}/` in table)) {
      await this.connection.call(`enable auth ${this.authMount}`, async (c) =>
        c.enableAuth({
          mount_point: this.authMount,
          type: 'kubernetes',
          description: 'agent identities',
        }),
      );
    }
    await this.connection.call(`configure auth ${this.authMount}`, async (c) =>
      c.write(`auth/${this.authMount}/config`, {
        kubernetes_host: config.host,
        kubernetes_ca_cert: config.caCert,
        token_reviewer_jwt: config.reviewerJwt,
        disable_local_ca_jwt: true,
      }),
    );
    this.accessor = undefined;
  }

  private async mountAccessor(): Promise<string> {
    if (this.accessor) return this.accessor;
    const mounts = await this.connection.call<
      Record<string, { accessor?: string }> & { data?: Record<string, { accessor?: string }> }
    >('list auth methods', async (c) => c.auths());
    const table = mounts.data ?? mounts;
    const accessor = table[`${this.authMount}/`]?.accessor;
    if (!accessor) throw new NotFoundError(`Vault auth mount ${this.authMount}/ is not enabled`);
    this.accessor = accessor;
    return accessor;
  }

  /** Writes the policy, the role, the entity and its alias (each write is idempotent). */
  async ensure(state: AgentVaultState): Promise<{ entityId: string }> {
    await this.connection.call(`write policy ${state.name}`, async (c) =>
      c.write(`sys/policies/acl/${state.name}`, { policy: state.policy }),
    );
    await this.connection.call(`write role ${state.name}`, async (c) =>
      c.write(`auth/${this.authMount}/role/${state.name}`, {
        bound_service_account_names: [state.serviceAccount.name],
        bound_service_account_namespaces: [state.serviceAccount.namespace],
        token_policies: [state.name],
        token_ttl: state.tokenTtl,
        token_max_ttl: state.tokenMaxTtl,
        alias_name_source: 'serviceaccount_uid',
      }),
    );
    const entityId = await this.writeEntity(state.name, state.metadata, state.disabled);
    await this.ensureAlias(entityId, state.serviceAccount.uid);
    return { entityId };
  }

  private async writeEntity(
    name: string,
    metadata: Record<string, string>,
    disabled: boolean,
  ): Promise<string> {
    await this.connection.call(`write entity ${name}`, async (c) =>
      c.write(`identity/entity/name/${name}`, { metadata, disabled, policies: [] }),
    );
    const read = await this.connection.call<{ data?: { id?: string } }>(
      `read entity ${name}`,
      async (c) => c.read(`identity/entity/name/${name}`),
    );
    const id = read.data?.id;
    if (!id) throw new NotFoundError(`Vault entity ${name} has no id`);
    return id;
  }

  /**
   * Points the alias for this ServiceAccount uid at the entity. The Kubernetes-auth role maps
   * logins by ServiceAccount uid, so a re-created ServiceAccount gets a fresh alias.
   */
  private async ensureAlias(entityId: string, aliasName: string): Promise<void> {
    const accessor = await this.mountAccessor();
    const lookup = await this.connection
      .call<{ data?: { id?: string } } | undefined>('look up alias', async (c) =>
        c.write('identity/lookup/entity', {
          alias_name: aliasName,
          alias_mount_accessor: accessor,
        }),
      )
      .catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
    if (lookup?.data?.id === entityId) return;
    await this.connection.call('write alias', async (c) =>
      c.write('identity/entity-alias', {
        name: aliasName,
        canonical_id: entityId,
        mount_accessor: accessor,
      }),
    );
  }

  /** Disables or re-enables the entity; a disabled entity's tokens stop working at once. */
  async setDisabled(name: string, disabled: boolean): Promise<void> {
    try {
      await this.connection.call(`update entity ${name}`, async (c) =>
        c.write(`identity/entity/name/${name}`, { disabled }),
      );
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  /** Offboarding: disable the entity, then delete the role, the policy and the entity. */
  async remove(name: string): Promise<void> {
    await this.setDisabled(name, true);
    const deletes: [string, string][] = [
      [`delete role ${name}`, `auth/${this.authMount}/role/${name}`],
      [`delete policy ${name}`, `sys/policies/acl/${name}`],
      [`delete entity ${name}`, `identity/entity/name/${name}`],
    ];
    for (const [operation, path] of deletes) {
      try {
        await this.connection.call(operation, async (c) => c.delete(path));
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
  }
}
