import type { CredentialSpec, CredentialStatus } from '../../../api/agent-identity.js';
import { isNotFound, type SecretDescription } from '../../../providers/secret-store.js';
import { generateCredential } from './generate.js';
import { decideRotation, gracePeriodMs, nextRotationAt, type RotationReason } from './schedule.js';
import type { BoundStore, StoreKey } from './stores.js';

/** What happened to one credential in this reconcile (no value in here except `value`). */
export interface CredentialResult {
  status: CredentialStatus;
  /** Why it was written, when it was. */
  rotated: RotationReason | 'Repaired' | 'Adopted' | undefined;
  /** The current value when this reconcile wrote or read it, for the Kubernetes Secret copy. */
  value: string | undefined;
  /** When this credential needs attention next. */
  nextCheckAt: number | undefined;
}

export interface RotationContext {
  /** `namespace/name/uid` of the identity: seeds the schedule's stable jitter. */
  seed: string;
  /** A rotation request (annotation value) this credential has not yet acted on. */
  requestId: string | undefined;
  now: number;
  /** Asks the shared rotation budget; returns 0 when a rotation may start now. */
  budget: () => number;
}

type Descriptions = Map<StoreKey, SecretDescription | undefined>;

async function describeAll(stores: BoundStore[]): Promise<Descriptions> {
  const result: Descriptions = new Map();
  for (const bound of stores) {
    try {
      result.set(bound.key, await bound.store.describe(bound.location));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      result.set(bound.key, undefined);
    }
  }
  return result;
}

/** Present everywhere with a readable current version. */
function healthy(stores: BoundStore[], described: Descriptions): boolean {
  return stores.every((s) => described.get(s.key)?.currentUsable === true);
}

/** A store's current version is not the one status recorded: written elsewhere, or a crash. */
function drifted(
  stores: BoundStore[],
  described: Descriptions,
  status: CredentialStatus | undefined,
): boolean {
  return stores.some(
    (s) => described.get(s.key)?.currentVersionId !== status?.storeVersions?.[s.key],
  );
}

function entryAfterWrite(
  spec: CredentialSpec,
  previous: CredentialStatus | undefined,
  versions: Partial<Record<StoreKey, string>>,
  ctx: RotationContext,
): CredentialStatus {
  const version = (previous?.currentVersion ?? 0) + 1;
  const hadPrevious = (previous?.currentVersion ?? 0) > 0;
  const entry: CredentialStatus = {
    ...previous,
    name: spec.name,
    currentVersion: version,
    rotatedAt: new Date(ctx.now).toISOString(),
    nextRotationAt: new Date(
      nextRotationAt(`${ctx.seed}/${spec.name}/${String(version)}`, spec, ctx.now),
    ).toISOString(),
    storeVersions: versions,
    ...(ctx.requestId !== undefined ? { handledRequest: ctx.requestId } : {}),
  };
  if (hadPrevious) entry.previousRetiresAt = new Date(ctx.now + gracePeriodMs(spec)).toISOString();
  else delete entry.previousRetiresAt;
  return entry;
}

/**
 * The schedule as the current spec makes it: a changed interval or grace period moves the
 * next rotation and the end of the grace period at once, not after the old schedule ran out.
 */
export function reschedule(
  spec: CredentialSpec,
  status: CredentialStatus | undefined,
  seed: string,
): CredentialStatus | undefined {
  if (!status?.rotatedAt || !status.currentVersion) return status;
  const rotatedAt = Date.parse(status.rotatedAt);
  const next = new Date(
    nextRotationAt(`${seed}/${spec.name}/${String(status.currentVersion)}`, spec, rotatedAt),
  ).toISOString();
  const retiresAt = status.previousRetiresAt
    ? new Date(
        Math.min(Date.parse(status.previousRetiresAt), rotatedAt + gracePeriodMs(spec)),
      ).toISOString()
    : undefined;
  return {
    ...status,
    nextRotationAt: next,
    ...(retiresAt ? { previousRetiresAt: retiresAt } : {}),
  };
}

/**
 * Writes a new value to every store, with check-and-set against what each store currently
 * serves, and keeps at most the previous version readable (older ones are retired now).
 */
async function writeEverywhere(
  stores: BoundStore[],
  described: Descriptions,
  value: string,
): Promise<Partial<Record<StoreKey, string>>> {
  const versions: Partial<Record<StoreKey, string>> = {};
  for (const bound of stores) {
    const before = described.get(bound.key);
    const expected = before?.currentVersionId;
    const { versionId } = await bound.store.writeVersion(
      bound.location,
      value,
      before ? expected : undefined,
    );
    versions[bound.key] = versionId;
    const keep = [versionId, ...(before?.currentUsable && expected ? [expected] : [])];
    await bound.store.retireVersions(bound.location, keep);
  }
  return versions;
}

/**
 * Brings stores back in line with each other after a partial write or an outside change: the
 * primary store's current value is the truth and is copied where it differs.
 */
async function adopt(
  stores: BoundStore[],
  described: Descriptions,
): Promise<{
  value: string;
  versions: Partial<Record<StoreKey, string>>;
}> {
  const [primary, ...others] = stores;
  if (!primary) throw new Error('a credential without a store cannot be adopted');
  const current = await primary.store.readCurrent(primary.location);
  const versions: Partial<Record<StoreKey, string>> = { [primary.key]: current.versionId };
  for (const bound of others) {
    const theirs = await bound.store.readCurrent(bound.location).catch(() => undefined);
    if (theirs?.value === current.value) {
      versions[bound.key] = theirs.versionId;
      continue;
    }
    const before = described.get(bound.key);
    const { versionId } = await bound.store.writeVersion(
      bound.location,
      current.value,
      before?.currentVersionId,
    );
    versions[bound.key] = versionId;
  }
  return { value: current.value, versions };
}

/** What to do with a credential now; `Adopted` and `Repaired` come from the stores' state. */
function chooseAction(
  decided: RotationReason | undefined,
  broken: boolean,
  drift: boolean,
): RotationReason | 'Repaired' | 'Adopted' | undefined {
  // A store ahead of status (a crash or a failure after a write, before the status) is
  // adopted rather than rotated again: a retry never writes twice, and never retires the
  // version consumers were given.
  if (decided === 'Initial') return broken ? 'Initial' : 'Adopted';
  if (broken) return decided ?? 'Repaired';
  if (drift) return 'Adopted';
  return decided;
}

/**
 * Reconciles one credential: rotates it when it is new, due or requested; writes a fresh
 * version when a store lost its current one (a deleted or destroyed latest version is never
 * served as empty data); adopts a version written outside this reconcile; retires the
 * previous version when its grace period is over.
 */
export async function reconcileCredential(
  spec: CredentialSpec,
  stores: BoundStore[],
  previous: CredentialStatus | undefined,
  ctx: RotationContext,
): Promise<CredentialResult> {
  const described = await describeAll(stores);
  previous = reschedule(spec, previous, ctx.seed);
  const decision = decideRotation(spec, previous, ctx.requestId !== undefined, ctx.now);
  const action = chooseAction(
    decision.rotate,
    !healthy(stores, described),
    drifted(stores, described, previous),
  );
  const result = (status: CredentialStatus, value?: string): CredentialResult => ({
    status: value !== undefined && action ? { ...status, lastWriteReason: action } : status,
    rotated: action,
    value,
    nextCheckAt: nextCheck(status, ctx.now),
  });

  if (action === 'Adopted') {
    const { value, versions } = await adopt(stores, described);
    return result(entryAfterWrite(spec, previous, versions, ctx), value);
  }
  if (action) {
    const wait = action === 'Scheduled' ? ctx.budget() : 0;
    if (wait > 0) {
      return {
        ...result(previous ?? { name: spec.name }),
        rotated: undefined,
        nextCheckAt: ctx.now + wait,
      };
    }
    const value = generateCredential(spec);
    const versions = await writeEverywhere(stores, described, value);
    return result(entryAfterWrite(spec, previous, versions, ctx), value);
  }
  if (decision.retirePrevious) {
    await retirePrevious(stores, described);
    return result(withoutRetirement(previous ?? { name: spec.name }));
  }
  return result(previous ?? { name: spec.name });
}

async function retirePrevious(stores: BoundStore[], described: Descriptions): Promise<void> {
  for (const bound of stores) {
    const current = described.get(bound.key)?.currentVersionId;
    if (current) await bound.store.retireVersions(bound.location, [current]);
  }
}

function withoutRetirement(status: CredentialStatus): CredentialStatus {
  const copy = { ...status };
  delete copy.previousRetiresAt;
  return copy;
}

function nextCheck(status: CredentialStatus, now: number): number | undefined {
  const times = [status.nextRotationAt, status.previousRetiresAt]
    .filter((t): t is string => t !== undefined)
    .map((t) => Date.parse(t))
    .filter((t) => t > now);
  return times.length ? Math.min(...times) : undefined;
}
