import type { AgentIdentity } from '../../api/resources.js';
import type { BehaviorEngine, BehaviorSnapshot } from '../../behavior/engine.js';
import type { Logger } from '../../observability/logger.js';
import { describeError } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { EventRecorder } from '../../runtime/events.js';
import { releaseRequest } from './release.js';
import type { BehaviorStatusWriter } from './status-writer.js';

export interface ResponderDependencies {
  writer: BehaviorStatusWriter;
  events: EventRecorder;
  metrics: Metrics;
  logger: Logger;
  identity: (key: string) => AgentIdentity | undefined;
  /** Withdraws access at once: Vault entity disabled, bindings and allowed traffic removed. */
  contain: (identity: AgentIdentity) => Promise<void>;
  /** Asks the reconciler to bring everything else in line. */
  requeue: (key: string) => void;
}

/**
 * Turns the engine's judgements into effects. Quarantine is already in force in the
 * authorization webhook when this runs; here it is recorded (status, Event, metric) and
 * carried to Vault, RBAC and the network at once, without waiting for a reconcile.
 */
export class BehaviorResponder {
  constructor(private readonly deps: ResponderDependencies) {}

  onEvaluated(snapshot: BehaviorSnapshot): void {
    this.deps.metrics.riskScore.observe(snapshot.assessment.risk);
    this.deps.writer.writeBehavior(snapshot.agent, snapshot, false).catch((error: unknown) => {
      this.deps.logger.warn('could not persist behaviour', {
        agent: snapshot.agent,
        error: describeError(error),
      });
    });
  }

  onResponse(snapshot: BehaviorSnapshot, reason: string): void {
    const { deps } = this;
    const identity = deps.identity(snapshot.agent);
    const [namespace, name] = snapshot.agent.split('/');
    const log = deps.logger.child({ kind: 'AgentIdentity', namespace, name });
    const summary = `risk ${String(snapshot.assessment.risk)}: ${snapshot.assessment.evidence[0] ?? reason}`;
    if (snapshot.level !== 'None') deps.metrics.riskResponses.inc({ level: snapshot.level });
    if (identity) {
      deps.events.record(
        identity,
        snapshot.level === 'None' ? 'Normal' : 'Warning',
        snapshot.level === 'None' ? 'RiskNormal' : `Risk${snapshot.level}`,
        snapshot.level === 'None' ? 'behaviour is back within its baseline' : summary,
      );
    }
    log.warn('risk response', {
      level: snapshot.level,
      risk: snapshot.assessment.risk,
      evidence: snapshot.assessment.evidence,
    });

    const done =
      snapshot.level === 'Quarantine'
        ? this.quarantine(snapshot, reason, identity)
        : deps.writer.writeBehavior(snapshot.agent, snapshot, true);
    done
      .catch((error: unknown) => {
        log.error('recording the risk response failed', { error: describeError(error) });
      })
      .finally(() => {
        deps.requeue(snapshot.agent);
      });
  }

  private async quarantine(
    snapshot: BehaviorSnapshot,
    reason: string,
    identity: AgentIdentity | undefined,
  ): Promise<void> {
    const started = Date.now();
    await Promise.all([
      this.deps.writer.quarantine(snapshot.agent, snapshot, reason, releaseRequest(identity)),
      identity ? this.deps.contain(identity) : Promise.resolve(),
    ]);
    this.deps.logger.warn('quarantined', {
      agent: snapshot.agent,
      reason,
      containedInMs: Date.now() - started,
    });
  }

  /** A person released the agent (annotation): record it and clear the engine's state. */
  async release(engine: BehaviorEngine, key: string, by: string): Promise<void> {
    await this.deps.writer.release(key, by);
    engine.release(key);
    const identity = this.deps.identity(key);
    if (identity)
      this.deps.events.record(
        identity,
        'Normal',
        'QuarantineReleased',
        `released by ${by.slice(0, 200)}`,
      );
    this.deps.logger.info('quarantine released', { agent: key, by: by.slice(0, 200) });
  }
}
