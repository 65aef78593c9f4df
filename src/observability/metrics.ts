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

  readonly authzDecisions = new Counter({
    name: 'aio_authz_decisions_total',
    help: 'Authorization webhook answers for agent requests (deny or no-opinion).',
    labelNames: ['decision'] as const,
    registers: [this.registry],
  });

  readonly auditEvents = new Counter({
    name: 'aio_audit_events_total',
    help: 'Audit events received; kept are those of agent ServiceAccounts.',
    labelNames: ['kept'] as const,
    registers: [this.registry],
  });

  readonly vaultAuditEntries = new Counter({
    name: 'aio_vault_audit_entries_total',
    help: 'Vault audit entries received; kept are those of agent entities.',
    labelNames: ['kept'] as const,
    registers: [this.registry],
  });

  readonly autonomyDecisions = new Counter({
    name: 'aio_autonomy_decisions_total',
    help: 'Answers of the decision API.',
    labelNames: ['decision'] as const,
    registers: [this.registry],
  });

  readonly riskResponses = new Counter({
    name: 'aio_risk_responses_total',
    help: 'Responses to risky behaviour, by level (Alert, Restrict, Quarantine).',
    labelNames: ['level'] as const,
    registers: [this.registry],
  });

  readonly quarantined = new Gauge({
    name: 'aio_quarantined_agents',
    help: 'Agents currently quarantined.',
    registers: [this.registry],
  });

  readonly riskScore = new Histogram({
    name: 'aio_risk_score',
    help: 'Risk scores of evaluated windows.',
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }
}
