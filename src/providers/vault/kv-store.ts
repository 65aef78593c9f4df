import {
  NotFoundError,
  type SecretDescription,
  type SecretLocation,
  type SecretStore,
} from '../secret-store.js';
import { KvPaths } from './kv-paths.js';
import type { VaultConnection } from './vault-client.js';

interface KvMetadata {
  data?: {
    current_version?: number;
    versions?: Record<
      string,
      { created_time?: string; deletion_time?: string; destroyed?: boolean }
    >;
  };
}

/**
 * Credentials in a Vault / OpenBao KV v2 mount. Each credential is one secret whose data is
 * `{ value }`; every rotation is a new version, written with check-and-set so a retried
 * reconcile cannot write two versions; old versions are destroyed, not just soft-deleted.
 */
export class VaultKvStore implements SecretStore {
  readonly kind = 'Vault' as const;

  constructor(
    private readonly connection: VaultConnection,
    private readonly mount: string,
  ) {}

  private paths(location: SecretLocation): KvPaths {
    return new KvPaths(this.mount, location.name);
  }

  async writeVersion(
    location: SecretLocation,
    value: string,
    expectedCurrent?: string,
  ): Promise<{ versionId: string }> {
    const paths = this.paths(location);
    const options =
      expectedCurrent === undefined ? {} : { options: { cas: Number(expectedCurrent) } };
    const result = await this.connection.call<{ data?: { version?: number } }>(
      `write ${paths.data}`,
      async (c) => c.write(paths.data, { data: { value }, ...options }),
    );
    await this.connection.call(`tag ${paths.metadata}`, async (c) =>
      c.write(paths.metadata, { custom_metadata: location.tags }),
    );
    return { versionId: String(result.data?.version ?? '') };
  }

  async readCurrent(location: SecretLocation): Promise<{ value: string; versionId: string }> {
    const paths = this.paths(location);
    const result = await this.connection.call<{
      data?: { data?: { value?: string } | null; metadata?: { version?: number } };
    }>(`read ${paths.data}`, async (c) => c.read(paths.data));
    const value = result.data?.data?.value;
    if (typeof value !== 'string')
      throw new NotFoundError(`Vault read ${paths.data}: the current version holds no value`);
    return { value, versionId: String(result.data?.metadata?.version ?? '') };
  }

  async describe(location: SecretLocation): Promise<SecretDescription> {
    const paths = this.paths(location);
    const metadata = await this.connection.call<KvMetadata>(`read ${paths.metadata}`, async (c) =>
      c.read(paths.metadata),
    );
    const current = metadata.data?.current_version;
    const versions = Object.entries(metadata.data?.versions ?? {}).map(([id, v]) => ({
      id,
      createdAt: v.created_time,
      unusable: v.destroyed === true || Boolean(v.deletion_time),
      stages: Number(id) === current ? ['current'] : [],
    }));
    const currentInfo = versions.find((v) => Number(v.id) === current);
    return {
      currentVersionId: current === undefined || current === 0 ? undefined : String(current),
      currentUsable: currentInfo !== undefined && !currentInfo.unusable,
      versions,
    };
  }

  async retireVersions(location: SecretLocation, keep: string[]): Promise<number> {
    const others = (await this.metadataVersions(location)).filter(
      (v) => !keep.includes(String(v.id)) && !v.destroyed,
    );
    if (others.length === 0) return 0;
    const paths = this.paths(location);
    await this.connection.call(`destroy ${paths.destroy}`, async (c) =>
      c.write(paths.destroy, { versions: others.map((v) => v.id) }),
    );
    return others.length;
  }

  private async metadataVersions(
    location: SecretLocation,
  ): Promise<{ id: number; destroyed: boolean }[]> {
    const paths = this.paths(location);
    const metadata = await this.connection.call<KvMetadata>(`read ${paths.metadata}`, async (c) =>
      c.read(paths.metadata),
    );
    return Object.entries(metadata.data?.versions ?? {}).map(([id, v]) => ({
      id: Number(id),
      destroyed: v.destroyed === true,
    }));
  }

  async remove(location: SecretLocation): Promise<void> {
    const paths = this.paths(location);
    try {
      await this.connection.call(`delete ${paths.metadata}`, async (c) => c.delete(paths.metadata));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  async ping(): Promise<void> {
    await this.connection.call('token lookup', async (c) => c.tokenLookupSelf());
  }
}
