import { ANNOTATIONS } from '../../api/constants.js';
import { RELEASE_VALUE_MAX } from '../../api/agent-identity.js';
import type { AgentIdentity } from '../../api/resources.js';

/**
 * The release request an identity carries, in the exact form status records it: trimmed and
 * cut to what status holds, so comparing it with `handledRelease` can never differ on length
 * (a longer value would otherwise look new on every reconcile and release every quarantine).
 * A blank value names nobody and releases nothing.
 */
export function releaseRequest(identity: AgentIdentity | undefined): string | undefined {
  const value = identity?.metadata.annotations?.[ANNOTATIONS.releaseQuarantine]
    ?.trim()
    .slice(0, RELEASE_VALUE_MAX);
  return value ? value : undefined;
}
