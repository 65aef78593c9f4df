/**
 * The secret stores behind one interface. Implementations live in their own folders and
 * are chosen explicitly by the caller; nothing here knows about Kubernetes objects.
 */

/** Where one credential lives, already mapped to the store's own naming rules. */
export interface SecretLocation {
  /** The path under the KV v2 mount (Vault) or the secret name (AWS). */
  name: string;
  /** Tags or metadata written with the secret: owner, agent, namespace. Never secret. */
  tags: Record<string, string>;
}

export interface VersionInfo {
  id: string;
  createdAt: string | undefined;
  /** Soft-deleted or destroyed (Vault), or without a stage (AWS): not readable as current. */
  unusable: boolean;
  stages: string[];
}

export interface SecretDescription {
  /** The version served as current, if any. */
  currentVersionId: string | undefined;
  /** False when the current version was deleted or destroyed: readers would get nothing. */
  currentUsable: boolean;
  versions: VersionInfo[];
}

export interface SecretStore {
  readonly kind: 'Vault' | 'AWSSecretsManager';
  /**
   * Writes `value` as the new current version. With `expectedCurrent`, refuses (ConflictError)
   * when another version became current meanwhile, so a retry never rotates twice.
   */
  writeVersion(
    location: SecretLocation,
    value: string,
    expectedCurrent?: string,
  ): Promise<{ versionId: string }>;
  /** The current version's value; NotFoundError when there is none. */
  readCurrent(location: SecretLocation): Promise<{ value: string; versionId: string }>;
  /** Versions and whether the current one is usable; NotFoundError when the secret is absent. */
  describe(location: SecretLocation): Promise<SecretDescription>;
  /** Makes every version not in `keep` unreadable (destroy, or drop AWSPREVIOUS). */
  retireVersions(location: SecretLocation, keep: string[]): Promise<number>;
  /** Removes the secret (Vault: all versions and metadata; AWS: deletion with recovery window). */
  remove(location: SecretLocation): Promise<void>;
  /** Throws when the store cannot be reached or refuses our credentials. */
  ping(): Promise<void>;
}

/** The secret (or the version asked for) does not exist. */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** A check-and-set write lost: another version became current meanwhile. */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/**
 * A store call failed. The message is built by us from the operation, the location and the
 * status code, never copied from a request: it is safe for logs, Events and conditions.
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof NotFoundError;
}
