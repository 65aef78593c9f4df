import type { KubeObject } from '../api/object-meta.js';
import type { KubeApi } from './kube-api.js';
import { resourcePath, type ResourceType } from './paths.js';

/** Keys whose empty map the API server drops (Go `omitempty` maps). */
const DROPPED_EMPTY_MAPS = new Set(['matchLabels', 'labels', 'annotations', 'data']);

/**
 * The form the API server stores: no empty lists, no empty label maps, no empty strings, and
 * NetworkPolicy ports with their default protocol. Both what the operator wants and what it
 * reads are put in this form before they are compared, and manifests are sent in it.
 */
export function normalize(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((item) => normalize(item));
    return key === 'ports'
      ? items.map((port) =>
          port !== null && typeof port === 'object' && !('protocol' in port)
            ? { protocol: 'TCP', ...port }
            : port,
        )
      : items;
  }
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const n = normalize(v, k);
    if (n === undefined || n === '') continue;
    if (Array.isArray(n) && n.length === 0) continue;
    if (
      DROPPED_EMPTY_MAPS.has(k) &&
      n !== null &&
      typeof n === 'object' &&
      Object.keys(n).length === 0
    )
      continue;
    result[k] = n;
  }
  return result;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (a !== null && typeof a === 'object') {
    if (b === null || typeof b !== 'object' || Array.isArray(b)) return false;
    const ak = Object.keys(a);
    const bk = Object.keys(b);
    const br = b as Record<string, unknown>;
    return (
      ak.length === bk.length &&
      ak.every((k) => deepEqual((a as Record<string, unknown>)[k], br[k]))
    );
  }
  return a === b;
}

function subset(
  wanted: Record<string, string> | undefined,
  have: Record<string, string> | undefined,
): boolean {
  return Object.entries(wanted ?? {}).every(([k, v]) => have?.[k] === v);
}

/**
 * Whether `live` is exactly what the operator wants. Everything the operator owns — every
 * top-level field but metadata (spec, rules, roleRef, subjects, data, automount) — must be
 * equal as a whole, so a field added or removed by hand, or a field a policy no longer
 * declares, counts as a difference. In metadata only the operator's own labels, annotations
 * and owner reference are checked: other controllers and people may add theirs.
 */
export function alreadyApplied(desired: KubeObject, live: KubeObject | undefined): boolean {
  if (!live) return false;
  const want = normalize(desired) as Record<string, unknown> & KubeObject;
  const have = normalize(live) as Record<string, unknown> & KubeObject;
  const ours = desired.metadata?.ownerReferences ?? [];
  const owned = ours.every((ref) =>
    (live.metadata?.ownerReferences ?? []).some(
      (r) => r.uid === ref.uid && r.controller === ref.controller,
    ),
  );
  if (!owned) return false;
  if (!subset(want.metadata?.labels, have.metadata?.labels)) return false;
  if (!subset(want.metadata?.annotations, have.metadata?.annotations)) return false;
  return Object.keys({ ...want, ...have })
    .filter((k) => !['apiVersion', 'kind', 'metadata', 'status'].includes(k))
    .filter((k) => k in want || !SERVER_FIELDS.has(k))
    .every((k) => deepEqual(want[k], have[k]));
}

/** Top-level fields the API server or other controllers fill in that the operator never sets. */
const SERVER_FIELDS = new Set(['secrets', 'imagePullSecrets', 'aggregationRule']);

/**
 * Server-side applies `desired` (in normalized form) unless `live` already matches it, so a
 * resync of thousands of unchanged objects writes nothing. Returns whether it wrote.
 */
export async function applyIfChanged(
  api: KubeApi,
  type: ResourceType,
  desired: KubeObject,
  live: KubeObject | undefined,
): Promise<boolean> {
  if (alreadyApplied(desired, live)) return false;
  const path = resourcePath(type, {
    namespace: desired.metadata?.namespace ?? '',
    name: desired.metadata?.name ?? '',
  });
  const body = normalize(desired) as Record<string, unknown>;
  const applied = await api.apply<KubeObject & Record<string, unknown>>(path, body);
  if (alreadyApplied(desired, applied)) return true;

  // Server-side apply never removes fields another manager added (a rule added with kubectl
  // edit, say). What the operator owns is replaced outright, guarded by the resource version.
  const owned = Object.keys(body).filter((k) => !['apiVersion', 'kind', 'metadata'].includes(k));
  const extra = Object.keys(applied).filter(
    (k) =>
      !(k in body) &&
      !['apiVersion', 'kind', 'metadata', 'status'].includes(k) &&
      !SERVER_FIELDS.has(k),
  );
  await api.jsonPatch(path, [
    { op: 'test', path: '/metadata/resourceVersion', value: applied.metadata?.resourceVersion },
    ...owned.map((k) => ({ op: k in applied ? 'replace' : 'add', path: `/${k}`, value: body[k] })),
    ...extra.map((k) => ({ op: 'remove', path: `/${k}` })),
  ]);
  return true;
}
