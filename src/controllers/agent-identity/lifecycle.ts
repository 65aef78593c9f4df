import type { AgentIdentity } from '../../api/resources.js';
import { quarantineActive } from '../behavior/status-writer.js';

/** Why an agent's access is withdrawn, if it is. */
export type Containment = 'None' | 'Suspended' | 'Expired' | 'Quarantined';

export interface LifecycleDecision {
  containment: Containment;
  /** Milliseconds until `expiresAt`, when it is in the future. */
  expiresInMs: number | undefined;
}

/**
 * Decides from the spec, the recorded quarantine and the clock whether the agent may act.
 * Expiry wins over quarantine, and quarantine over suspension: an unsuspended agent stays
 * contained while quarantined, until a person releases it.
 */
export function decideLifecycle(identity: AgentIdentity, now: Date): LifecycleDecision {
  const expiresAt = identity.spec.lifecycle?.expiresAt;
  const expiresInMs = expiresAt === undefined ? undefined : Date.parse(expiresAt) - now.getTime();
  if (expiresInMs !== undefined && expiresInMs <= 0) {
    return { containment: 'Expired', expiresInMs: undefined };
  }
  if (quarantineActive(identity.status?.quarantine)) {
    return { containment: 'Quarantined', expiresInMs };
  }
  if (identity.spec.lifecycle?.suspended === true) {
    return { containment: 'Suspended', expiresInMs };
  }
  return { containment: 'None', expiresInMs };
}
