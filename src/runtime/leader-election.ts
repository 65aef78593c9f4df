import type { Logger } from '../observability/logger.js';
import { describeError } from '../observability/logger.js';
import { KubeApiError, isNotFound, type KubeApi } from './kube-api.js';
import { COORDINATION, resourcePath } from './paths.js';

export interface LeaderElectionOptions {
  api: KubeApi;
  namespace: string;
  leaseName: string;
  /** This replica's identity, written as the lease holder (pod name and a random suffix). */
  identity: string;
  leaseDurationMs: number;
  /** A leader that cannot renew within this time steps down. */
  renewDeadlineMs: number;
  retryPeriodMs: number;
  logger: Logger;
  now?: () => number;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** The MicroTime format the Lease API expects. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Leader election on a coordination.k8s.io Lease, so that of several replicas exactly one
 * reconciles. Expiry is judged by how long this replica has seen the lease unchanged, not by
 * the holder's clock, so clock skew between nodes cannot give two leaders. A leader that
 * cannot renew in time stops leading (the caller exits); `release` hands the lease over at
 * once on graceful shutdown.
 */
export class LeaderElector {
  private leading = false;
  private stopped = false;
  private lastRenewed = 0;
  private observed: { resourceVersion: string; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: LeaderElectionOptions) {
    this.now = options.now ?? Date.now;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns until this replica leads, then keeps renewing. `onStartedLeading` runs once
   * leadership is won; `onStoppedLeading` runs if it is lost.
   */
  run(callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void }): void {
    const tick = async (): Promise<void> => {
      if (this.stopped) return;
      const held = await this.tryAcquireOrRenew();
      if (held && !this.leading) {
        this.leading = true;
        this.options.logger.info('became leader', { lease: this.options.leaseName });
        callbacks.onStartedLeading();
      }
      if (!held && this.leading && this.now() - this.lastRenewed > this.options.renewDeadlineMs) {
        this.leading = false;
        this.options.logger.error('lost leadership: the lease could not be renewed in time', {
          lease: this.options.leaseName,
        });
        callbacks.onStoppedLeading();
        return;
      }
      this.timer = setTimeout(() => void tick(), this.options.retryPeriodMs);
    };
    void tick();
  }

  /** Stops campaigning and, when leading, empties the lease so a standby takes over now. */
  async release(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.options.api.get<Lease>(this.path());
      if (lease.spec?.holderIdentity !== this.options.identity) return;
      await this.options.api.replace(this.path(), {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: microTime(this.now()),
        },
      });
      this.options.logger.info('released the leader lease', { lease: this.options.leaseName });
    } catch (error) {
      this.options.logger.warn('could not release the leader lease', {
        error: describeError(error),
      });
    }
  }

  private path(): string {
    return resourcePath(COORDINATION.leases, {
      namespace: this.options.namespace,
      name: this.options.leaseName,
    });
  }

  private collectionPath(): string {
    return resourcePath(COORDINATION.leases, { namespace: this.options.namespace });
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { api, identity } = this.options;
    const now = this.now();
    try {
      const lease = await this.readLease();
      if (!lease) {
        await api.create(this.collectionPath(), this.desiredLease(undefined, now));
        this.lastRenewed = now;
        return true;
      }
      if (!this.mayTake(lease, now)) return false;
      await api.replace(this.path(), this.desiredLease(lease, now));
      this.lastRenewed = now;
      return true;
    } catch (error) {
      if (!(error instanceof KubeApiError && error.conflict)) {
        this.options.logger.warn('leader election attempt failed', {
          identity,
          error: describeError(error),
        });
      }
      return false;
    }
  }

  private async readLease(): Promise<Lease | undefined> {
    try {
      return await this.options.api.get<Lease>(this.path());
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Whether this replica may write the lease: it holds it, it is empty, or it expired. */
  private mayTake(lease: Lease, now: number): boolean {
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder === this.options.identity || holder === '') return true;
    const version = lease.metadata?.resourceVersion ?? '';
    if (this.observed?.resourceVersion !== version) {
      this.observed = { resourceVersion: version, at: now };
      return false;
    }
    const durationMs = (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
    return now - this.observed.at > durationMs;
  }

  private desiredLease(current: Lease | undefined, now: number): Lease {
    const holderChanged = current?.spec?.holderIdentity !== this.options.identity;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.options.leaseName,
        namespace: this.options.namespace,
        ...(current?.metadata?.resourceVersion
          ? { resourceVersion: current.metadata.resourceVersion }
          : {}),
      },
      spec: {
        holderIdentity: this.options.identity,
        leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1000),
        acquireTime: (holderChanged ? undefined : current.spec?.acquireTime) ?? microTime(now),
        renewTime: microTime(now),
        leaseTransitions:
          (current?.spec?.leaseTransitions ?? 0) + (holderChanged && current ? 1 : 0),
      },
    };
  }
}
