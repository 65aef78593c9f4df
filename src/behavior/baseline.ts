import type { Baseline } from '../api/agent-identity.js';
import type { Bucket } from './window.js';

const LIMITS = { verbs: 32, resources: 64, namespaces: 64, secretPaths: 64 };

function addBounded(list: string[] | undefined, items: Iterable<string>, limit: number): string[] {
  const set = new Set(list ?? []);
  for (const item of items) {
    if (set.size >= limit) break;
    set.add(item);
  }
  return [...set].sort();
}

/**
 * Folds one closed bucket into the baseline: Welford's running mean and variance of the
 * per-minute request rate, and the sets of verbs, resources, namespaces, hours and secret
 * paths seen. Pure: returns a new baseline.
 */
export function learn(baseline: Baseline, bucket: Bucket, bucketMs: number): Baseline {
  const perMinute = (bucket.requests * 60_000) / bucketMs;
  const n = (baseline.minutes ?? 0) + 1;
  const mean = baseline.rateMean ?? 0;
  const delta = perMinute - mean;
  const nextMean = mean + delta / n;
  const m2 = (baseline.rateVariance ?? 0) * Math.max(n - 2, 0) + delta * (perMinute - nextMean);
  const requests = Math.max(bucket.requests, 1);
  const blend = (old: number | undefined, now: number): number =>
    Math.round((((old ?? now) * (n - 1) + now) / n) * 1000) / 1000;
  return {
    ...baseline,
    minutes: n,
    rateMean: Math.round(nextMean * 1000) / 1000,
    rateVariance: n > 1 ? Math.round((m2 / (n - 1)) * 1000) / 1000 : 0,
    errorRate: blend(baseline.errorRate, Math.min(1, bucket.errors / requests)),
    denyRate: blend(baseline.denyRate, Math.min(1, bucket.denied / requests)),
    verbs: addBounded(baseline.verbs, bucket.verbs.keys(), LIMITS.verbs),
    resources: addBounded(baseline.resources, bucket.resources.keys(), LIMITS.resources),
    namespaces: addBounded(baseline.namespaces, bucket.namespaces.keys(), LIMITS.namespaces),
    hours: [...new Set([...(baseline.hours ?? []), ...bucket.hours])].sort((a, b) => a - b),
    secretPaths: addBounded(baseline.secretPaths, bucket.secretPaths, LIMITS.secretPaths),
  };
}

/** Learned for the whole window, with at least one observed bucket. */
export function baselineReady(baseline: Baseline, learningWindowMs: number, now: number): boolean {
  const since = baseline.learningSince ? Date.parse(baseline.learningSince) : now;
  return now - since >= learningWindowMs && (baseline.minutes ?? 0) > 0;
}
