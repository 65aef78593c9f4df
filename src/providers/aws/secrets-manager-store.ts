import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
  type DescribeSecretCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { TokenBucket } from '../rate-limiter.js';
import { sanitize } from '../sanitize.js';
import {
  ConflictError,
  NotFoundError,
  ProviderError,
  type SecretDescription,
  type SecretLocation,
  type SecretStore,
} from '../secret-store.js';

export interface SecretsManagerOptions {
  region: string;
  /** An endpoint override (the moto server in tests, a VPC endpoint in production). */
  endpoint?: string;
  /** Days a deleted secret can be restored (7 to 30). */
  recoveryWindowDays: number;
  /** Client-side limit on write calls; AWS allows 50 per second per account and region. */
  writesPerSecond?: number;
}

interface AwsErrorLike {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Maps an SDK error to our typed errors; the message is ours plus AWS's sanitised text. */
export function toStoreError(error: unknown, operation: string): Error {
  const e = error as AwsErrorLike;
  const status = e.$metadata?.httpStatusCode;
  if (e.name === 'ResourceNotFoundException')
    return new NotFoundError(`AWS ${operation}: not found`);
  const detail = sanitize(`${e.name ?? 'Error'}: ${e.message ?? 'no detail'}`);
  const retryable =
    status === undefined ||
    status >= 500 ||
    e.name === 'ThrottlingException' ||
    e.name === 'InternalServiceError';
  return new ProviderError(
    `AWS Secrets Manager ${operation} failed (${status === undefined ? 'unreachable' : `HTTP ${String(status)}`}): ${detail}`,
    status,
    retryable,
  );
}

/** AWS tag values allow letters, digits, spaces and `+ - = . _ : / @`, up to 256 characters. */
function tagValue(value: string): string {
  return value.replace(/[^\p{L}\p{N} +\-=._:/@]/gu, '_').slice(0, 256);
}

/**
 * Credentials in AWS Secrets Manager. A rotation puts a new version, which AWS labels
 * AWSCURRENT while the old one becomes AWSPREVIOUS; after the grace period the AWSPREVIOUS
 * label is removed so the old value can no longer be fetched by stage. Offboarding schedules
 * deletion with a recovery window; writing to a secret scheduled for deletion restores it.
 */
export class SecretsManagerStore implements SecretStore {
  readonly kind = 'AWSSecretsManager' as const;
  private readonly client: SecretsManagerClient;
  private readonly writes: TokenBucket;

  constructor(private readonly options: SecretsManagerOptions) {
    this.client = new SecretsManagerClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      maxAttempts: 3,
      // A hung endpoint must not hold a worker: every call gives up and is retried later.
      requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 10_000 }),
    });
    const rate = options.writesPerSecond ?? 40;
    this.writes = new TokenBucket(rate, Math.max(1, Math.floor(rate / 4)));
  }

  private async send<T>(operation: string, write: boolean, call: () => Promise<T>): Promise<T> {
    if (write) await this.writes.acquire();
    try {
      return await call();
    } catch (error) {
      throw toStoreError(error, operation);
    }
  }

  private async describeRaw(location: SecretLocation): Promise<DescribeSecretCommandOutput> {
    return this.send(`describe ${location.name}`, false, async () =>
      this.client.send(new DescribeSecretCommand({ SecretId: location.name })),
    );
  }

  async writeVersion(
    location: SecretLocation,
    value: string,
    expectedCurrent?: string,
  ): Promise<{ versionId: string }> {
    let existing: DescribeSecretCommandOutput | undefined;
    try {
      existing = await this.describeRaw(location);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    const tags = Object.entries(location.tags).map(([Key, v]) => ({ Key, Value: tagValue(v) }));
    if (!existing) {
      const created = await this.send(`create ${location.name}`, true, async () =>
        this.client.send(
          new CreateSecretCommand({
            Name: location.name,
            SecretString: value,
            Tags: tags,
            ClientRequestToken: randomUUID(),
          }),
        ),
      );
      return { versionId: created.VersionId ?? '' };
    }
    if (existing.DeletedDate) {
      await this.send(`restore ${location.name}`, true, async () =>
        this.client.send(new RestoreSecretCommand({ SecretId: location.name })),
      );
      await this.send(`tag ${location.name}`, true, async () =>
        this.client.send(new TagResourceCommand({ SecretId: location.name, Tags: tags })),
      );
    }
    const current = currentVersion(existing);
    if (expectedCurrent !== undefined && current !== expectedCurrent) {
      throw new ConflictError(
        `AWS write ${location.name}: another version became current meanwhile`,
      );
    }
    const put = await this.send(`put ${location.name}`, true, async () =>
      this.client.send(
        new PutSecretValueCommand({
          SecretId: location.name,
          SecretString: value,
          ClientRequestToken: randomUUID(),
        }),
      ),
    );
    return { versionId: put.VersionId ?? '' };
  }

  async readCurrent(location: SecretLocation): Promise<{ value: string; versionId: string }> {
    const result = await this.send(`read ${location.name}`, false, async () =>
      this.client.send(new GetSecretValueCommand({ SecretId: location.name })),
    );
    if (typeof result.SecretString !== 'string') {
      throw new NotFoundError(`AWS read ${location.name}: the current version holds no string`);
    }
    return { value: result.SecretString, versionId: result.VersionId ?? '' };
  }

  async describe(location: SecretLocation): Promise<SecretDescription> {
    const description = await this.describeRaw(location);
    if (description.DeletedDate)
      throw new NotFoundError(`AWS describe ${location.name}: scheduled for deletion`);
    const versions = Object.entries(description.VersionIdsToStages ?? {}).map(([id, stages]) => ({
      id,
      createdAt: undefined,
      unusable: stages.length === 0,
      stages,
    }));
    const current = currentVersion(description);
    return { currentVersionId: current, currentUsable: current !== undefined, versions };
  }

  async retireVersions(location: SecretLocation, keep: string[]): Promise<number> {
    const description = await this.describeRaw(location);
    const previous = Object.entries(description.VersionIdsToStages ?? {}).filter(
      ([id, stages]) => !keep.includes(id) && stages.includes('AWSPREVIOUS'),
    );
    for (const [id] of previous) {
      await this.send(`unstage ${location.name}`, true, async () =>
        this.client.send(
          new UpdateSecretVersionStageCommand({
            SecretId: location.name,
            VersionStage: 'AWSPREVIOUS',
            RemoveFromVersionId: id,
          }),
        ),
      );
    }
    return previous.length;
  }

  async remove(location: SecretLocation): Promise<void> {
    try {
      const description = await this.describeRaw(location);
      if (description.DeletedDate) return;
      await this.send(`delete ${location.name}`, true, async () =>
        this.client.send(
          new DeleteSecretCommand({
            SecretId: location.name,
            RecoveryWindowInDays: this.options.recoveryWindowDays,
          }),
        ),
      );
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  async ping(): Promise<void> {
    await this.send('list secrets', false, async () =>
      this.client.send(new ListSecretsCommand({ MaxResults: 1 })),
    );
  }

  close(): void {
    this.client.destroy();
  }
}

function currentVersion(description: DescribeSecretCommandOutput): string | undefined {
  return Object.entries(description.VersionIdsToStages ?? {}).find(([, stages]) =>
    stages.includes('AWSCURRENT'),
  )?.[0];
}
