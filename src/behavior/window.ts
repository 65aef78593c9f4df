import type { Observation } from './observation.js';

/** What an agent did in one time bucket. */
export interface Bucket {
  start: number;
  requests: number;
  errors: number;
  denied: number;
  outside: number;
  outsideReasons: string[];
  verbs: Map<string, number>;
  resources: Map<string, number>;
  namespaces: Map<string, number>;
  hours: Set<number>;
  secretPaths: Set<string>;
}

export function emptyBucket(start: number): Bucket {
  return {
    start,
    requests: 0,
    errors: 0,
    denied: 0,
    outside: 0,
    outsideReasons: [],
    verbs: new Map(),
    resources: new Map(),
    namespaces: new Map(),
    hours: new Set(),
    secretPaths: new Set(),
  };
}

/**
 * Distinct names one bucket keeps per kind. Agents choose some of these names (decision
 * actions, Vault paths), so without a bound one agent could grow the operator's memory; past
 * it, further names count under OTHER, which is itself a name the baseline has never seen.
 */
const MAX_NAMES = 256;
const OTHER = '(more distinct names than a bucket keeps)';

const bump = (map: Map<string, number>, key: string): void => {
  const name = map.has(key) || map.size < MAX_NAMES ? key : OTHER;
  map.set(name, (map.get(name) ?? 0) + 1);
};

export function addToBucket(bucket: Bucket, observation: Observation, countRequest: boolean): void {
  if (countRequest) {
    bucket.requests += 1;
    bump(bucket.verbs, observation.verb);
    bump(bucket.resources, observation.resource);
    if (observation.namespace) bump(bucket.namespaces, observation.namespace);
    bucket.hours.add(new Date(observation.at).getUTCHours());
  }
  if (observation.outcome === 'error') bucket.errors += 1;
  if (observation.outcome === 'denied') bucket.denied += 1;
  if (observation.outsideCapabilities) bucket.outside += 1;
  if (observation.secretPath)
    bucket.secretPaths.add(bucket.secretPaths.size < MAX_NAMES ? observation.secretPath : OTHER);
}

/**
 * The agent's recent activity: buckets of `bucketMs`, the last `spanMs` of them kept. The
 * scored window is their sum.
 */
export class ActivityWindow {
  private buckets: Bucket[] = [];

  constructor(
    private readonly bucketMs: number,
    private readonly spanMs: number,
  ) {}

  add(observation: Observation, countRequest: boolean): void {
    addToBucket(this.current(observation.at), observation, countRequest);
  }

  noteOutside(at: number, reason: string): void {
    const bucket = this.current(at);
    bucket.outside += 1;
    if (bucket.outsideReasons.length < 8 && !bucket.outsideReasons.includes(reason))
      bucket.outsideReasons.push(reason);
  }

  /** Buckets that ended before `now`, removed from the window's future (for learning). */
  closedBuckets(now: number): Bucket[] {
    return this.buckets.filter((b) => b.start + this.bucketMs <= now);
  }

  /** Sum of the buckets inside the span ending at `now`. */
  summary(now: number): Bucket & { spanMs: number } {
    this.prune(now);
    const total = emptyBucket(now - this.spanMs);
    for (const bucket of this.buckets) {
      total.requests += bucket.requests;
      total.errors += bucket.errors;
      total.denied += bucket.denied;
      total.outside += bucket.outside;
      for (const r of bucket.outsideReasons)
        if (!total.outsideReasons.includes(r)) total.outsideReasons.push(r);
      for (const [k, v] of bucket.verbs) total.verbs.set(k, (total.verbs.get(k) ?? 0) + v);
      for (const [k, v] of bucket.resources)
        total.resources.set(k, (total.resources.get(k) ?? 0) + v);
      for (const [k, v] of bucket.namespaces)
        total.namespaces.set(k, (total.namespaces.get(k) ?? 0) + v);
      for (const h of bucket.hours) total.hours.add(h);
      for (const p of bucket.secretPaths) total.secretPaths.add(p);
    }
    const first = this.buckets[0]?.start ?? now;
    return { ...total, spanMs: Math.max(this.bucketMs, Math.min(this.spanMs, now - first)) };
  }

  clear(): void {
    this.buckets = [];
  }

  /**
   * The bucket holding `at`. Audit batches arrive up to a second late, so an event can belong
   * to an earlier bucket than the newest: buckets stay ordered by start and unique.
   */
  private current(at: number): Bucket {
    const start = at - (at % this.bucketMs);
    for (let i = this.buckets.length - 1; i >= 0; i--) {
      const bucket = this.buckets[i];
      if (bucket?.start === start) return bucket;
      if (bucket && bucket.start < start) {
        const created = emptyBucket(start);
        this.buckets.splice(i + 1, 0, created);
        return created;
      }
    }
    const created = emptyBucket(start);
    this.buckets.unshift(created);
    return created;
  }

  private prune(now: number): void {
    this.buckets = this.buckets.filter((b) => b.start + this.bucketMs > now - this.spanMs);
  }
}
