import { ANNOTATIONS } from '../../api/constants.js';
import type { AgentIdentity } from '../../api/resources.js';

/** As much of a release annotation as status records (`handledRelease`, `releasedBy`). */
const MAX_RELEASE_LENGTH = 253;

/**
 * The release request an identity carries, in the exact form status records it: trimmed and
 * cut to what status holds, so comparing it with `handledRelease` can never differ on length
 * (a longer value would otherwise look new on every reconcile and release every quarantine).
 * A blank value names nobody and releases nothing.
 */
export function releaseRequest(identity: AgentIdentity | undefined): string | undefined {
  const value = identity?.metadata.annotations?.[ANNOTATIONS.releaseQuarantine]
    ?.trim()
    .slice(0, MAX_RELEASE_LENGTH);
  return value ? value : undefined;
}
