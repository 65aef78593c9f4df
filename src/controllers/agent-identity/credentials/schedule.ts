import { createHash } from 'node:crypto';
import type { CredentialSpec, CredentialStatus } from '../../../api/agent-identity.js';
import { parseGoDuration } from '../../../api/duration.js';

/** Why a credential is rotated now. */
export type RotationReason = 'Initial' | 'Scheduled' | 'Requested';

export interface RotationDecision {
  rotate: RotationReason | undefined;
  /** The previous version's grace period is over: make it unreadable now. */
  retirePrevious: boolean;
  /** When this credential next needs attention, if nothing else happens. */
  nextCheckAt: number | undefined;
}

/** Grace period: as declared, else a tenth of the interval (at most a day). */
export function gracePeriodMs(spec: CredentialSpec): number {
  const interval = parseGoDuration(spec.rotation.interval);
  return spec.rotation.gracePeriod !== undefined
    ? parseGoDuration(spec.rotation.gracePeriod)
    : Math.min(interval / 10, 24 * 3_600_000);
}

/**
 * A stable spread added to each rotation so that agents created together do not rotate
 * together forever: up to 5% of the interval (at most 15 minutes), derived from the agent,
 * the credential and the version, so a restart computes the same time.
 */
export function rotationJitterMs(seed: string, intervalMs: number): number {
  const spread = Math.min(intervalMs * 0.05, 15 * 60_000);
  const hash = createHash('sha256').update(seed).digest().readUInt32BE(0);
  return Math.floor((hash / 0xffffffff) * spread);
}

export function nextRotationAt(seed: string, spec: CredentialSpec, rotatedAt: number): number {
  const interval = parseGoDuration(spec.rotation.interval);
  return rotatedAt + interval + rotationJitterMs(seed, interval);
}

/**
 * Decides, from the spec, the recorded status and the clock alone, what a credential needs.
 * The schedule lives in status, so a restarted operator decides exactly what the previous
 * one would have: no extra rotation, no missed one.
 */
export function decideRotation(
  spec: CredentialSpec,
  status: CredentialStatus | undefined,
  rotationRequested: boolean,
  now: number,
): RotationDecision {
  const retiresAt = status?.previousRetiresAt ? Date.parse(status.previousRetiresAt) : undefined;
  const retirePrevious = retiresAt !== undefined && retiresAt <= now;
  if (!status?.currentVersion || !status.rotatedAt) {
    return { rotate: 'Initial', retirePrevious, nextCheckAt: undefined };
  }
  if (rotationRequested) return { rotate: 'Requested', retirePrevious, nextCheckAt: undefined };
  const next = status.nextRotationAt ? Date.parse(status.nextRotationAt) : now;
  if (next <= now) return { rotate: 'Scheduled', retirePrevious, nextCheckAt: undefined };
  const pendingRetire = retiresAt !== undefined && !retirePrevious ? retiresAt : undefined;
  return {
    rotate: undefined,
    retirePrevious,
    nextCheckAt: pendingRetire === undefined ? next : Math.min(next, pendingRetire),
  };
}
