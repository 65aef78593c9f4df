import type { Logger } from '../../observability/logger.js';
import { describeError } from '../../observability/logger.js';
import type { VaultIdentities } from '../../providers/vault/identity.js';
import type { KubeApi } from '../../runtime/kube-api.js';
import { CORE, resourcePath } from '../../runtime/paths.js';
import { backoffDelay } from '../../runtime/work-queue.js';

export interface VaultAuthTarget {
  /** The API server URL Vault calls for TokenReview. */
  host: string;
  /** PEM CA of that API server. */
  caCert: string;
  /** ServiceAccount (bound to system:auth-delegator) whose short-lived tokens Vault uses. */
  tokenReviewer: { namespace: string; name: string } | undefined;
}

const REVIEWER_TOKEN_SECONDS = 24 * 3600;

/**
 * Points the agents' Kubernetes auth mount in Vault at this cluster, and keeps it pointed:
 * the reviewer token is a short-lived TokenRequest token, renewed at half its life. Failures
 * retry with backoff in the background; they never stop the operator.
 */
export class VaultAuthConfigurer {
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private warnedNoReviewer = false;
  private stopped = false;
  configured = false;

  constructor(
    private readonly api: KubeApi,
    private readonly vault: VaultIdentities,
    private readonly target: VaultAuthTarget,
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    let nextMs: number;
    try {
      await this.configureOnce();
      this.failures = 0;
      this.configured = true;
      nextMs = (REVIEWER_TOKEN_SECONDS * 1000) / 2;
    } catch (error) {
      nextMs = backoffDelay(this.failures++, { baseMs: 1000, maxMs: 60_000 });
      this.logger.warn('configuring the Vault Kubernetes auth mount failed; retrying', {
        error: describeError(error),
        retryInMs: nextMs,
      });
    }
    this.timer = setTimeout(() => void this.run(), nextMs);
    this.timer.unref();
  }

  private async configureOnce(): Promise<void> {
    const reviewerJwt = this.target.tokenReviewer
      ? await this.reviewerToken(this.target.tokenReviewer)
      : '';
    await this.vault.configureKubernetesAuth({
      host: this.target.host,
      caCert: this.target.caCert,
      reviewerJwt,
    });
    this.logger.info('configured the Vault Kubernetes auth mount', {
      host: this.target.host,
      tokenReviewer: this.target.tokenReviewer
        ? `${this.target.tokenReviewer.namespace}/${this.target.tokenReviewer.name}`
        : 'the login token',
    });
    if (!this.target.tokenReviewer && !this.warnedNoReviewer) {
      this.warnedNoReviewer = true;
      this.logger.warn(
        'no --vault-token-reviewer: Vault reviews each agent login with the login token itself, which needs system:auth-delegator; agent logins are refused (403) unless their ServiceAccounts have it',
      );
    }
  }

  private async reviewerToken(reviewer: { namespace: string; name: string }): Promise<string> {
    const path = resourcePath(CORE.serviceAccounts, { ...reviewer, subresource: 'token' });
    const request = await this.api.create<{ status?: { token?: string } }>(path, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: REVIEWER_TOKEN_SECONDS },
    });
    const token = request.status?.token;
    if (!token)
      throw new Error(
        `no token was issued for ServiceAccount ${reviewer.namespace}/${reviewer.name}`,
      );
    return token;
  }
}
