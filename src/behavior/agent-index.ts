/**
 * Finds the AgentIdentity behind a ServiceAccount (for the API server's webhooks) or a Vault
 * entity (for the Vault audit device). Kept current from the identity cache; lookups are
 * map reads on the webhook's hot path.
 */
export class AgentIndex {
  private readonly byServiceAccount = new Map<string, string>();
  private readonly byEntity = new Map<string, string>();
  private readonly keys = new Map<string, { serviceAccount: string; entity: string | undefined }>();

  set(
    agentKey: string,
    serviceAccount: { namespace: string; name: string },
    entityId: string | undefined,
  ): void {
    this.remove(agentKey);
    const sa = `${serviceAccount.namespace}/${serviceAccount.name}`;
    this.byServiceAccount.set(sa, agentKey);
    if (entityId) this.byEntity.set(entityId, agentKey);
    this.keys.set(agentKey, { serviceAccount: sa, entity: entityId });
  }

  remove(agentKey: string): void {
    const entry = this.keys.get(agentKey);
    if (!entry) return;
    if (this.byServiceAccount.get(entry.serviceAccount) === agentKey)
      this.byServiceAccount.delete(entry.serviceAccount);
    if (entry.entity && this.byEntity.get(entry.entity) === agentKey)
      this.byEntity.delete(entry.entity);
    this.keys.delete(agentKey);
  }

  byServiceAccountName(namespace: string, name: string): string | undefined {
    return this.byServiceAccount.get(`${namespace}/${name}`);
  }

  byVaultEntity(entityId: string): string | undefined {
    return this.byEntity.get(entityId);
  }
}
