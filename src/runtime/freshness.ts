import type { KubeObject } from '../api/object-meta.js';

/**
 * Covers the moment between our own write and the informer seeing it. A reconcile that runs
 * again before the watch delivers the write would otherwise act on the object as it was
 * before (and, say, rotate a credential a second time). After each write we remember the
 * object the API server returned together with the resource version it replaced; while the
 * cache still holds that old version, readers get the returned object instead.
 */
export class FreshnessOverlay<T extends KubeObject> {
  private readonly written = new Map<string, { replaced: string; object: T }>();

  remember(key: string, replacedResourceVersion: string | undefined, object: T): void {
    if (replacedResourceVersion === undefined) return;
    this.written.set(key, { replaced: replacedResourceVersion, object });
  }

  /** The freshest known state of `cached`. */
  resolve(key: string, cached: T | undefined): T | undefined {
    const entry = this.written.get(key);
    if (!entry) return cached;
    if (cached?.metadata?.resourceVersion === entry.replaced) return entry.object;
    this.written.delete(key);
    return cached;
  }

  forget(key: string): void {
    this.written.delete(key);
  }
}
