import type { AgentIdentityStatus } from '../../api/agent-identity.js';
import { API_VERSION, BEHAVIOR_FIELD_MANAGER } from '../../api/constants.js';
import { AGENT_IDENTITY, type AgentIdentity } from '../../api/resources.js';
import type { BehaviorSnapshot } from '../../behavior/engine.js';
import { isNotFound, type KubeApi } from '../../runtime/kube-api.js';
import { identityPath } from '../resource-paths.js';

type Quarantine = NonNullable<AgentIdentityStatus['quarantine']>;
type Behavior = NonNullable<AgentIdentityStatus['behavior']>;

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Whether a quarantine is in force: it has begun and no person has released it since. */
export function quarantineActive(quarantine: Quarantine | undefined): boolean {
  if (!quarantine?.since) return false;
  return !quarantine.releasedAt || Date.parse(quarantine.releasedAt) < Date.parse(quarantine.since);
}

/**
 * Writes `status.behavior` and `status.quarantine` under the behaviour field manager. With
 * server-side apply a manager's omitted fields are removed, so every write carries both
 * parts as this writer last knew them; the reconciler never writes them.
 */
export class BehaviorStatusWriter {
  private readonly known = new Map<string, { behavior?: Behavior; quarantine?: Quarantine }>();
  private readonly lastWrite = new Map<string, number>();

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

  quarantineOf(key: string): Quarantine | undefined {
    return this.known.get(key)?.quarantine;
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
      evidence: snapshot.assessment.evidence,
      response: snapshot.level,
      baseline: snapshot.baseline,
    };
    this.known.set(key, entry);
    await this.write(key);
  }

  async quarantine(key: string, snapshot: BehaviorSnapshot, reason: string): Promise<void> {
    const entry = this.known.get(key) ?? {};
    entry.quarantine = {
      ...entry.quarantine,
      since: iso(this.now()),
      reason: reason.slice(0, 1024),
      risk: snapshot.assessment.risk,
      evidence: snapshot.assessment.evidence,
    };
    this.known.set(key, entry);
    await this.writeBehavior(key, snapshot, true);
  }

  /** A person released the quarantine; `by` is the annotation's value, recorded as given. */
  async release(key: string, by: string): Promise<void> {
    const entry = this.known.get(key) ?? {};
    entry.quarantine = {
      ...entry.quarantine,
      releasedBy: by.slice(0, 253),
      releasedAt: iso(this.now()),
      handledRelease: by.slice(0, 253),
    };
    if (entry.behavior)
      entry.behavior = { ...entry.behavior, response: 'None', riskScore: 0, evidence: [] };
    this.known.set(key, entry);
    await this.write(key);
  }

  private async write(key: string): Promise<void> {
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
