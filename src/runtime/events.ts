import type { Logger } from '../observability/logger.js';
import { describeError } from '../observability/logger.js';
import type { KubeApi, KubeObject } from './kube-api.js';
import { CORE, resourcePath } from './paths.js';

export type EventType = 'Normal' | 'Warning';

/** Records Kubernetes Events about an object; what `kubectl describe` shows users. */
export interface EventRecorder {
  record(object: KubeObject, type: EventType, reason: string, message: string): void;
}

const DEDUPE_WINDOW_MS = 10 * 60_000;
const MAX_REMEMBERED = 20_000;

/**
 * Writes core/v1 Events. Events are best effort: a failure is logged and never fails a
 * reconcile. The same reason and message for the same object within ten minutes is written
 * once, so a flapping dependency cannot flood the API server. Messages must already be
 * free of secrets: callers pass condition messages, never raw provider errors.
 */
export class KubeEventRecorder implements EventRecorder {
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly api: KubeApi,
    private readonly component: string,
    private readonly instance: string,
    private readonly logger: Logger,
  ) {}

  record(object: KubeObject, type: EventType, reason: string, message: string): void {
    const meta = object.metadata;
    if (!meta?.name || !meta.namespace) return;
    const key = `${meta.uid ?? meta.name}|${reason}|${message}`;
    const now = Date.now();
    const last = this.recent.get(key);
    if (last !== undefined && now - last < DEDUPE_WINDOW_MS) return;
    this.remember(key, now);

    const timestamp = new Date(now).toISOString();
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${meta.name.slice(0, 200)}.`, namespace: meta.namespace },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.instance,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      count: 1,
    };
    this.api
      .create(resourcePath(CORE.events, { namespace: meta.namespace }), event)
      .catch((error: unknown) => {
        this.logger.debug('could not record an event', { reason, error: describeError(error) });
      });
  }

  private remember(key: string, now: number): void {
    if (this.recent.size >= MAX_REMEMBERED) {
      for (const [oldKey, at] of this.recent) {
        if (now - at >= DEDUPE_WINDOW_MS || this.recent.size >= MAX_REMEMBERED) {
          this.recent.delete(oldKey);
        }
        if (this.recent.size < MAX_REMEMBERED / 2) break;
      }
    }
    this.recent.set(key, now);
  }
}
