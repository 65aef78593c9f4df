import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The operator's Prometheus metrics, all in one registry served on /metrics. */
export class Metrics {
  readonly registry = new Registry();

  readonly reconcileTotal = new Counter({
    name: 'aio_reconcile_total',
    help: 'Reconciles by controller and result (success, error, requeue).',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });

  readonly reconcileDuration = new Histogram({
    name: 'aio_reconcile_duration_seconds',
    help: 'How long one reconcile took.',
    labelNames: ['controller'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly reconcileErrors = new Counter({
    name: 'aio_reconcile_errors_total',
    help: 'Reconciles that failed, by controller.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'aio_workqueue_depth',
    help: 'Keys waiting in a controller work queue.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  readonly queueDelayed = new Gauge({
    name: 'aio_workqueue_delayed',
    help: 'Keys waiting on a delay (requeue after or backoff).',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });

  readonly informerRestarts = new Counter({
    name: 'aio_informer_restarts_total',
    help: 'Informer watches restarted after an error, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly isLeader = new Gauge({
    name: 'aio_leader',
    help: '1 while this replica holds the leader lease.',
    registers: [this.registry],
  });

  readonly identities = new Gauge({
    name: 'aio_agent_identities',
    help: 'AgentIdentities by phase.',
    labelNames: ['phase'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }
}
