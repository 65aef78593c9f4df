import type { AgentIdentity, AgentPolicy } from '../../api/resources.js';
import type { KubeObject } from '../../api/object-meta.js';
import type { CredentialManager, CredentialsOutcome } from './credentials/manager.js';
import type { LifecycleDecision } from './lifecycle.js';
import type { VaultAccess } from './vault-access.js';

/** How one backend step went; `error` is kept for the runner, never shown as such. */
export type StepResult<T> =
  | { state: 'skipped' }
  | { state: 'done'; value: T }
  | { state: 'failed'; error: unknown; message: string; conflict?: boolean };

export interface BackendOutcome {
  vault: StepResult<{ name: string; entityId: string; disabled: boolean; refusedPaths: string[] }>;
  credentials: StepResult<CredentialsOutcome | 'offboarded'>;
}

/** A short, safe description of a failed backend call (our typed errors carry safe text). */
export function safeMessage(error: unknown): string {
  if (
    error instanceof Error &&
    ['ProviderError', 'NotFoundError', 'ConflictError', 'SecretCopyConflict'].includes(error.name)
  ) {
    return error.message;
  }
  return 'unexpected error (see the operator log)';
}

function failed<T>(error: unknown): StepResult<T> {
  return { state: 'failed', error, message: safeMessage(error) };
}

/**
 * The Vault identity and the credentials of one agent. Expiry offboards the backends (the
 * identity object stays, phase Expired); suspension disables the Vault entity, which stops
 * every token the agent holds, while credentials keep their schedule.
 */
export class BackendSteps {
  constructor(
    private readonly vault: VaultAccess | undefined,
    private readonly credentials: CredentialManager,
  ) {}

  async run(
    identity: AgentIdentity,
    serviceAccount: KubeObject | undefined,
    policies: AgentPolicy[],
    lifecycle: LifecycleDecision,
    now: number,
  ): Promise<BackendOutcome> {
    if (lifecycle.containment === 'Expired') return this.offboardExpired(identity);
    return {
      vault: await this.vaultStep(
        identity,
        serviceAccount,
        policies,
        lifecycle.containment !== 'None',
      ),
      credentials: await this.credentialStep(identity, now),
    };
  }

  private async vaultStep(
    identity: AgentIdentity,
    serviceAccount: KubeObject | undefined,
    policies: AgentPolicy[],
    disabled: boolean,
  ): Promise<BackendOutcome['vault']> {
    if (!this.vault) return { state: 'skipped' };
    const uid = serviceAccount?.metadata?.uid;
    const name = serviceAccount?.metadata?.name;
    if (!uid || !name) return failed(new Error('the ServiceAccount is not in the cache yet'));
    // Only this identity's own ServiceAccount may be bound in Vault: another agent's (named
    // in spec.serviceAccount.name) would hand this identity's Vault role and alias over to it.
    const controller = serviceAccount.metadata?.ownerReferences?.find((r) => r.controller);
    if (controller?.uid !== identity.metadata.uid) {
      return {
        state: 'failed',
        error: new Error('ServiceAccount not owned'),
        message: `ServiceAccount ${name} is not this identity's; nothing was bound in Vault`,
        conflict: true,
      };
    }
    try {
      const result = await this.vault.ensure(identity, { name, uid }, policies, disabled);
      return { state: 'done', value: { ...result, disabled } };
    } catch (error) {
      return failed(error);
    }
  }

  private async credentialStep(
    identity: AgentIdentity,
    now: number,
  ): Promise<BackendOutcome['credentials']> {
    const declared = identity.spec.credentials ?? [];
    if (declared.length === 0 && (identity.status?.credentials ?? []).length === 0)
      return { state: 'skipped' };
    try {
      return { state: 'done', value: await this.credentials.reconcile(identity, now) };
    } catch (error) {
      return failed(error);
    }
  }

  private async offboardExpired(identity: AgentIdentity): Promise<BackendOutcome> {
    if (identity.status?.offboardedAt) {
      return { vault: { state: 'skipped' }, credentials: { state: 'done', value: 'offboarded' } };
    }
    try {
      await this.offboard(identity);
      return { vault: { state: 'skipped' }, credentials: { state: 'done', value: 'offboarded' } };
    } catch (error) {
      return { vault: failed(error), credentials: failed(error) };
    }
  }

  /**
   * Removes the agent from every backend: the Vault entity is disabled first (its tokens stop
   * working), then role, policy and entity go, then the secrets are destroyed (Vault) or
   * scheduled for deletion (AWS). Anything already gone is not an error.
   */
  async offboard(identity: AgentIdentity): Promise<void> {
    if (this.vault) await this.vault.remove(identity);
    await this.credentials.removeAll(identity);
  }
}
