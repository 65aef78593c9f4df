import type { AgentIdentityStatus } from '../../api/agent-identity.js';
import { findCondition } from '../../api/conditions.js';
import type { AgentIdentity } from '../../api/resources.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Logger } from '../../observability/logger.js';

const WATCHED = ['Ready', 'RBACReady', 'NetworkReady', 'Suspended'] as const;

/**
 * Emits an Event and an info log for each change of phase or of a watched condition's
 * status: what a person reading `kubectl describe` needs, and nothing on a no-op.
 */
export function reportTransitions(
  identity: AgentIdentity,
  next: AgentIdentityStatus,
  events: EventRecorder,
  log: Logger,
): void {
  const previous = identity.status ?? {};
  if (previous.phase !== next.phase && next.phase) {
    const warning = next.phase === 'Suspended' || next.phase === 'Expired';
    events.record(
      identity,
      warning ? 'Warning' : 'Normal',
      next.phase,
      `phase is now ${next.phase}`,
    );
    log.info('phase changed', { from: previous.phase ?? 'none', to: next.phase });
  }
  for (const type of WATCHED) {
    const before = findCondition(previous.conditions, type);
    const after = findCondition(next.conditions, type);
    if (!after || (before?.status === after.status && before.reason === after.reason)) continue;
    const healthy = type === 'Suspended' ? after.status === 'False' : after.status === 'True';
    events.record(
      identity,
      healthy ? 'Normal' : 'Warning',
      after.reason,
      `${type}: ${after.message}`,
    );
  }
}
