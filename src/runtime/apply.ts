import type { KubeApi, KubeObject } from './kube-api.js';
import { resourcePath, type ResourceType } from './paths.js';

/**
 * Whether `live` already holds every field of `desired`. Objects are compared key by key
 * (extra keys in `live` — server defaults, other managers' labels — are fine); lists must
 * have the same length and matching items, because the lists the operator writes (rules,
 * subjects, NetworkPolicy peers) are atomic: an item added by hand is drift to undo.
 */
export function alreadyApplied(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) {
    return (
      Array.isArray(live) &&
      live.length === desired.length &&
      desired.every((item, i) => alreadyApplied(item, live[i]))
    );
  }
  if (desired !== null && typeof desired === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    const liveRecord = live as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(([key, value]) =>
      value === undefined ? true : alreadyApplied(value, liveRecord[key]),
    );
  }
  return desired === live;
}

/**
 * Server-side applies `desired` unless the cached `live` object already matches it, so a
 * resync of thousands of unchanged objects writes nothing. Returns whether it wrote.
 */
export async function applyIfChanged(
  api: KubeApi,
  type: ResourceType,
  desired: KubeObject,
  live: KubeObject | undefined,
): Promise<boolean> {
  if (live && alreadyApplied(desired, live)) return false;
  const path = resourcePath(type, {
    namespace: desired.metadata?.namespace ?? '',
    name: desired.metadata?.name ?? '',
  });
  await api.apply(path, desired);
  return true;
}
