import { randomBytes } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import { describeError } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { splitKey } from './informer.js';
import { WorkQueue, type BackoffPolicy } from './work-queue.js';

/** What a reconcile asks of the runner when it succeeds. */
export interface ReconcileResult {
  /** Reconcile this key again after a delay (time-based work: rotation, expiry). */
  requeueAfterMs?: number;
}

/**
 * An error that retrying cannot fix (an invalid spec the API server let through). The
 * runner logs it once and does not retry; the next change to the object brings it back.
 */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export interface Reconciler {
  reconcile(key: string, log: Logger): Promise<ReconcileResult | undefined>;
}

export interface ControllerOptions {
  name: string;
  /** The kind of object the keys name, for log fields. */
  kind: string;
  reconciler: Reconciler;
  logger: Logger;
  metrics: Metrics;
  workers: number;
  /** Every key is reconciled again at this period, spread over it, to catch missed work. */
  resyncMs: number;
  /** The keys to resync: normally every key in the primary informer's cache. */
  allKeys: () => string[];
  backoff?: BackoffPolicy;
}

/**
 * Runs a reconciler over a work queue with bounded concurrency. Errors are returned by the
 * reconciler, not logged by it: the runner logs each failure once, counts it and retries
 * the key with its own backoff. A thrown exception never stops a worker.
 */
export class Controller {
  readonly queue: WorkQueue;
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ControllerOptions) {
    this.queue = new WorkQueue(options.backoff);
  }

  get name(): string {
    return this.options.name;
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Starts the workers; call only after the caches the reconciler reads have synced. */
  start(): void {
    for (let i = 0; i < this.options.workers; i++) this.workers.push(this.work());
    for (const key of this.options.allKeys()) this.queue.add(key);
    this.resyncTimer = setInterval(() => {
      this.resync();
    }, this.options.resyncMs);
    this.resyncTimer.unref();
  }

  /** Stops taking keys and waits for the reconciles in flight to finish. */
  async stop(): Promise<void> {
    clearInterval(this.resyncTimer);
    this.queue.shutDown();
    await Promise.all(this.workers);
    this.workers = [];
  }

  /** Spreads every key over the resync period so a resync of 10,000 objects is not a burst. */
  private resync(): void {
    const keys = this.options.allKeys();
    const spread = this.options.resyncMs / 2;
    keys.forEach((key, i) => {
      this.queue.addAfter(key, Math.floor((i / Math.max(keys.length, 1)) * spread));
    });
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.process(key);
      } finally {
        this.queue.done(key);
        this.updateQueueMetrics();
      }
    }
  }

  private async process(key: string): Promise<void> {
    const { name, kind, reconciler, metrics } = this.options;
    const { namespace, name: objectName } = splitKey(key);
    const log = this.options.logger.child({
      controller: name,
      kind,
      namespace,
      name: objectName,
      reconcileId: randomBytes(4).toString('hex'),
    });
    const endTimer = metrics.reconcileDuration.startTimer({ controller: name });
    try {
      const result = await reconciler.reconcile(key, log);
      this.queue.forget(key);
      if (result?.requeueAfterMs !== undefined) {
        this.queue.addAfter(key, result.requeueAfterMs);
        metrics.reconcileTotal.inc({ controller: name, result: 'requeue' });
      } else {
        metrics.reconcileTotal.inc({ controller: name, result: 'success' });
      }
    } catch (error) {
      metrics.reconcileTotal.inc({ controller: name, result: 'error' });
      metrics.reconcileErrors.inc({ controller: name });
      if (error instanceof TerminalError) {
        this.queue.forget(key);
        log.error('reconcile failed; not retrying until the object changes', {
          error: describeError(error),
        });
        return;
      }
      const retryInMs = this.queue.addRateLimited(key);
      log.warn('reconcile failed; retrying', {
        error: describeError(error),
        retryInMs,
        failures: this.queue.failureCount(key),
      });
    } finally {
      endTimer();
    }
  }

  private updateQueueMetrics(): void {
    this.options.metrics.queueDepth.set({ controller: this.options.name }, this.queue.length);
    this.options.metrics.queueDelayed.set({ controller: this.options.name }, this.queue.delayed);
  }
}
