import {
  BASELINE_BOUNDS,
  EVIDENCE_BOUNDS,
  type AgentIdentityStatus,
} from '../../api/agent-identity.js';
import { API_VERSION, BEHAVIOR_FIELD_MANAGER } from '../../api/constants.js';
import { AGENT_IDENTITY, type AgentIdentity } from '../../api/resources.js';
import type { BehaviorSnapshot } from '../../behavior/engine.js';
import { isNotFound, type KubeApi } from '../../runtime/kube-api.js';
import { identityPath } from '../resource-paths.js';

type Quarantine = NonNullable<AgentIdentityStatus['quarantine']>;
type Behavior = NonNullable<AgentIdentityStatus['behavior']>;
type Baseline = NonNullable<Behavior['baseline']>;

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Whether a quarantine is in force: it has begun and no person has released it since. A new
 * quarantine drops the previous release, so two in one second cannot be confused.
 */
export function quarantineActive(quarantine: Quarantine | undefined): boolean {
  if (!quarantine?.since) return false;
  return !quarantine.releasedAt || Date.parse(quarantine.releasedAt) < Date.parse(quarantine.since);
}

const fit = (
  items: string[] | undefined,
  [maxLength, maxItems]: readonly [number, number],
): string[] | undefined => items?.filter((item) => item.length <= maxLength).slice(0, maxItems);
const clip = (items: string[], maxItems: number): string[] =>
  items
    .slice(0, maxItems)
    .map((item) =>
      item.length > EVIDENCE_BOUNDS.length
        ? `${item.slice(0, EVIDENCE_BOUNDS.length - 3)}...`
        : item,
    );

/**
 * The baseline as the schema allows it. Names an agent chose (decision actions, Vault paths)
 * can be longer than status holds; one such name must never make every status write fail,
 * so it stays in memory but is not persisted.
 */
function persistable(baseline: Baseline): Baseline {
  return {
    ...baseline,
    verbs: fit(baseline.verbs, BASELINE_BOUNDS.verbs),
    resources: fit(baseline.resources, BASELINE_BOUNDS.resources),
    namespaces: fit(baseline.namespaces, BASELINE_BOUNDS.namespaces),
    secretPaths: fit(baseline.secretPaths, BASELINE_BOUNDS.secretPaths),
  };
}

/**
 * Writes `status.behavior` and `status.quarantine` under the behaviour field manager. With
 * server-side apply a manager's omitted fields are removed, so every write carries both
 * parts as this writer last knew them; the reconciler never writes them.
 */
export class BehaviorStatusWriter {
  private readonly known = new Map<string, { behavior?: Behavior; quarantine?: Quarantine }>();
  private readonly lastWrite = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(
    private readonly api: KubeApi,
    private readonly persistIntervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seeds what is known from the cache, once per agent (our own writes are fresher). */
  seed(identity: AgentIdentity): void {
    const key = `${identity.metadata.namespace}/${identity.metadata.name}`;
    if (this.known.has(key)) return;
    this.known.set(key, {
      behavior: identity.status?.behavior,
      quarantine: identity.status?.quarantine,
    });
  }

  forget(key: string): void {
    this.known.delete(key);
    this.lastWrite.delete(key);
  }

  /** What this writer last wrote (or seeded) for an agent: fresher than the cache. */
  recordOf(key: string): { behavior?: Behavior; quarantine?: Quarantine } | undefined {
    const entry = this.known.get(key);
    if (!entry) return undefined;
    return {
      ...(entry.behavior ? { behavior: entry.behavior } : {}),
      ...(entry.quarantine ? { quarantine: entry.quarantine } : {}),
    };
  }

  /** Persists the risk summary and baseline, at most once per interval unless forced. */
  async writeBehavior(key: string, snapshot: BehaviorSnapshot, force: boolean): Promise<void> {
    const last = this.lastWrite.get(key) ?? 0;
    if (!force && this.now() - last < this.persistIntervalMs) return;
    const entry = this.known.get(key) ?? {};
    entry.behavior = {
      baselineReady: snapshot.baselineReady,
      requestRate: snapshot.assessment.requestRate,
      riskScore: snapshot.assessment.risk,
      evaluatedAt: iso(this.now()),
      evidence: clip(snapshot.assessment.evidence, EVIDENCE_BOUNDS.behavior),
      response: snapshot.level,
      baseline: persistable(snapshot.baseline),
    };
    this.known.set(key, entry);
    await this.write(key);
  }

  /**
   * Records a quarantine. `standingRelease` is the release annotation the identity carries
   * right now: it is recorded as handled, so only a value a person writes after this moment
   * releases the agent (a value left in Git from an earlier release never does).
   */
  async quarantine(
    key: string,
    snapshot: BehaviorSnapshot,
    reason: string,
    standingRelease: string | undefined,
  ): Promise<void> {
    const entry = this.known.get(key) ?? {};
    const handled = standingRelease ?? entry.quarantine?.handledRelease;
    entry.quarantine = {
      since: iso(this.now()),
      reason: reason.slice(0, EVIDENCE_BOUNDS.length),
      risk: snapshot.assessment.risk,
      evidence: clip(snapshot.assessment.evidence, EVIDENCE_BOUNDS.quarantine),
      ...(handled === undefined ? {} : { handledRelease: handled }),
    };
    this.known.set(key, entry);
    await this.writeBehavior(key, snapshot, true);
  }

  /** A person released the quarantine; `by` is the annotation's value as `releaseRequest` reads it. */
  async release(key: string, by: string): Promise<void> {
    const entry = this.known.get(key) ?? {};
    entry.quarantine = {
      ...entry.quarantine,
      releasedBy: by,
      releasedAt: iso(this.now()),
      handledRelease: by,
    };
    if (entry.behavior)
      entry.behavior = { ...entry.behavior, response: 'None', riskScore: 0, evidence: [] };
    this.known.set(key, entry);
    await this.write(key);
  }

  /**
   * Writes one agent's behaviour status. Writes of one agent go one after another, each with
   * what is known when it is sent: two applies in flight could land out of order, and the
   * older one, lacking a newer quarantine, would remove it (a manager's omitted fields go).
   */
  private async write(key: string): Promise<void> {
    const previous = this.inflight.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => this.send(key));
    this.inflight.set(key, next);
    try {
      await next;
    } finally {
      if (this.inflight.get(key) === next) this.inflight.delete(key);
    }
  }

  private async send(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const entry = this.known.get(key) ?? {};
    this.lastWrite.set(key, this.now());
    try {
      await this.api.apply(
        identityPath({ metadata: { namespace, name } } as AgentIdentity, 'status'),
        {
          apiVersion: API_VERSION,
          kind: AGENT_IDENTITY.kind,
          metadata: { name, namespace },
          status: JSON.parse(
            JSON.stringify({ behavior: entry.behavior, quarantine: entry.quarantine }),
          ) as object,
        },
        BEHAVIOR_FIELD_MANAGER,
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
