import { readFile } from 'node:fs/promises';
import vault from 'node-vault';
import type { Logger } from '../../observability/logger.js';
import { describeError } from '../../observability/logger.js';
import { sanitize } from '../sanitize.js';
import { ConflictError, NotFoundError, ProviderError } from '../secret-store.js';

export type VaultAuth =
  | { method: 'token'; token: string }
  | { method: 'kubernetes'; role: string; mount: string; jwtFile: string };

export interface VaultConnectionOptions {
  address: string;
  auth: VaultAuth;
  /** Extra CA certificate (PEM) to trust for Vault's TLS. */
  caCert?: string;
  timeoutMs?: number;
  logger: Logger;
}

interface ApiResponseErrorLike {
  message?: string;
  response?: { statusCode?: number; body?: { errors?: string[] } };
  code?: string;
}

/**
 * Turns a node-vault failure into our typed errors. The message is ours (operation and
 * status) plus Vault's own error text, sanitised: never a token, never a request body.
 */
export function toStoreError(error: unknown, operation: string): Error {
  const e = error as ApiResponseErrorLike;
  const status = e.response?.statusCode;
  const detail = sanitize(
    (e.response?.body?.errors ?? []).join('; ') || e.code || e.message || 'no detail',
  );
  if (status === 404) return new NotFoundError(`Vault ${operation}: not found`);
  if (status === 400 && /check-and-set/i.test(detail)) {
    return new ConflictError(`Vault ${operation}: another version was written meanwhile`);
  }
  const retryable = status === undefined || status >= 500 || status === 429 || status === 403;
  return new ProviderError(
    `Vault ${operation} failed (${status === undefined ? 'unreachable' : `HTTP ${String(status)}`}): ${detail}`,
    status,
    retryable,
  );
}

/**
 * One authenticated node-vault client for the whole operator. With token auth it renews a
 * renewable token before it expires; with Kubernetes auth it logs in with the projected
 * ServiceAccount token, renews, and logs in again before the token's maximum TTL ends.
 */
export class VaultConnection {
  readonly client: vault.client;
  private renewTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;

  constructor(private readonly options: VaultConnectionOptions) {
    this.client = vault({
      apiVersion: 'v1',
      endpoint: options.address,
      ...(options.auth.method === 'token' ? { token: options.auth.token } : {}),
      requestOptions: {
        timeout: options.timeoutMs ?? 10_000,
        ...(options.caCert ? { ca: options.caCert } : {}),
      },
    });
  }

  /**
   * Authenticates (Kubernetes auth) or checks the token, and starts keeping it fresh. Vault
   * being down at start-up is not fatal: calls fail with a ProviderError (reported in
   * conditions) while this retries in the background.
   */
  async start(): Promise<void> {
    try {
      if (this.options.auth.method === 'kubernetes') await this.login();
      await this.scheduleRenewal();
      this.failures = 0;
    } catch (error) {
      const delay = Math.min(60_000, 1000 * 2 ** Math.min(this.failures++, 6));
      this.options.logger.warn('Vault is not reachable yet; retrying', {
        error: describeError(error),
        retryInMs: delay,
      });
      this.renewTimer = setTimeout(() => void this.start(), delay);
      this.renewTimer.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.renewTimer);
  }

  /** Runs one Vault call, mapping its failure to a typed, sanitised error. */
  async call<T = unknown>(
    operation: string,
    fn: (client: vault.client) => Promise<unknown>,
  ): Promise<T> {
    try {
      return (await fn(this.client)) as T;
    } catch (error) {
      throw toStoreError(error, operation);
    }
  }

  private async login(): Promise<void> {
    const auth = this.options.auth;
    if (auth.method !== 'kubernetes') return;
    const jwt = (await readFile(auth.jwtFile, 'utf8')).trim();
    const result = await this.call<{ auth?: { client_token?: string } }>(
      'login (kubernetes auth)',
      async (c) => c.kubernetesLogin({ role: auth.role, jwt, mount_point: auth.mount }),
    );
    const token = result.auth?.client_token;
    if (!token)
      throw new ProviderError('Vault login (kubernetes auth) returned no token', 200, true);
    this.client.token = token;
    this.options.logger.info('logged in to Vault', { method: 'kubernetes', role: auth.role });
  }

  /**
   * Looks the token up and schedules the next renewal at two thirds of its TTL. When a
   * renewal no longer extends the token (its maximum TTL is near), logs in again instead.
   */
  private async scheduleRenewal(): Promise<void> {
    const lookup = await this.call<{
      data?: {
        ttl?: number;
        creation_ttl?: number;
        renewable?: boolean;
        expire_time?: string | null;
      };
    }>('token lookup', async (c) => c.tokenLookupSelf());
    // A token without an expiry time (a root or periodic-less token) needs no care.
    if (!lookup.data?.expire_time || this.stopped) return;
    const ttl = lookup.data.ttl ?? 0;
    const fullTtl = lookup.data.creation_ttl ?? ttl;
    const renewable = lookup.data.renewable === true;
    this.renewTimer = setTimeout(
      () => void this.refresh(fullTtl, renewable),
      Math.max(250, (ttl * 1000 * 2) / 3),
    );
    this.renewTimer.unref();
  }

  /**
   * Renews the token; when a renewal no longer gives at least half the token's full TTL
   * (its maximum TTL is close) or fails, logs in again with Kubernetes auth.
   */
  private async refresh(fullTtl: number, renewable: boolean): Promise<void> {
    if (this.stopped) return;
    try {
      const extended = renewable && (await this.renew()) >= fullTtl / 2;
      if (!extended) await this.reauthenticate();
      await this.scheduleRenewal();
    } catch (error) {
      this.options.logger.warn('refreshing the Vault token failed; retrying', {
        error: describeError(error),
      });
      this.renewTimer = setTimeout(() => void this.refresh(fullTtl, false), 2000);
      this.renewTimer.unref();
    }
  }

  private async renew(): Promise<number> {
    try {
      const renewed = await this.call<{ auth?: { lease_duration?: number } }>(
        'token renewal',
        async (c) => c.tokenRenewSelf(),
      );
      return renewed.auth?.lease_duration ?? 0;
    } catch {
      return 0;
    }
  }

  private async reauthenticate(): Promise<void> {
    if (this.options.auth.method !== 'kubernetes') {
      this.options.logger.error(
        'the Vault token cannot be renewed further and will expire; give the operator a new token',
      );
      return;
    }
    await this.login();
  }
}
