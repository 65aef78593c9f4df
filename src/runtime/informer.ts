import {
  ListWatch,
  Watch,
  ADD,
  DELETE,
  ERROR,
  UPDATE,
  type KubernetesObject,
  type KubernetesListObject,
} from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { describeError } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { KubeApi, KubeObject } from './kube-api.js';
import { resourcePath, type ResourceType } from './paths.js';
import { backoffDelay } from './work-queue.js';

export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerHandler<T> = (event: InformerEvent, object: T) => void;
export type IndexFunction<T> = (object: T) => string[];

/** `namespace/name`, the key of an object in caches and work queues. */
export function objectKey(object: KubeObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export interface InformerOptions {
  api: KubeApi;
  type: ResourceType;
  /** A name for logs and metrics, such as `AgentIdentity`. */
  kind: string;
  labelSelector?: string;
  logger: Logger;
  metrics?: Metrics;
}

/**
 * A cache of one kind kept current by list-then-watch (one watch per kind), built on
 * client-node's ListWatch. ListWatch relists by itself on 410 Gone but stops on any other
 * error; this class restarts it with exponential backoff, so an API server restart or a
 * dropped connection heals on its own. Indexes map a value (e.g. a policy) to the objects
 * that name it, so reconcilers never LIST.
 */
export class Informer<T extends KubeObject> {
  // client-node types cached objects with its generated models (dates as Date); ours are the
  // API server's JSON, unconverted, so the cache is typed at this boundary only.
  private readonly listWatch: ListWatch<KubernetesObject>;
  private readonly handlers: InformerHandler<T>[] = [];
  private readonly indexes = new Map<
    string,
    { fn: IndexFunction<T>; map: Map<string, Set<string>> }
  >();
  private readonly indexedValues = new Map<string, Map<string, string[]>>();
  private failures = 0;
  private synced = false;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private resolveSynced: (() => void) | undefined;

  constructor(private readonly options: InformerOptions) {
    const path = resourcePath(options.type);
    const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      const result = await options.api.list<T>(path, { labelSelector: options.labelSelector });
      this.onListed();
      return result as unknown as KubernetesListObject<KubernetesObject>;
    };
    this.listWatch = new ListWatch(
      path,
      new Watch(options.api.kubeConfig),
      list,
      false,
      options.labelSelector,
    );
    this.listWatch.on(ADD, (object) => {
      this.dispatch('add', object as T);
    });
    this.listWatch.on(UPDATE, (object) => {
      this.dispatch('update', object as T);
    });
    this.listWatch.on(DELETE, (object) => {
      this.dispatch('delete', object as T);
    });
    this.listWatch.on(ERROR, (error: unknown) => {
      this.scheduleRestart(error);
    });
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  onChange(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  /** Adds an index; call before `start`. */
  addIndex(name: string, fn: IndexFunction<T>): void {
    this.indexes.set(name, { fn, map: new Map() });
    this.indexedValues.set(name, new Map());
  }

  /** Starts listing and watching; resolves once the first list is in the cache. */
  async start(): Promise<void> {
    this.stopped = false;
    const synced = new Promise<void>((resolve) => {
      this.resolveSynced = resolve;
    });
    void this.listWatch.start().catch((error: unknown) => {
      this.scheduleRestart(error);
    });
    await synced;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.listWatch.stop();
  }

  get(namespace: string, name: string): T | undefined {
    return this.listWatch.get(name, namespace) as T | undefined;
  }

  getByKey(key: string): T | undefined {
    const { namespace, name } = splitKey(key);
    return this.get(namespace, name);
  }

  list(namespace?: string): T[] {
    return this.listWatch.list(namespace) as T[];
  }

  /** Keys of the objects whose index function returned `value`. */
  keysByIndex(index: string, value: string): string[] {
    return [...(this.indexes.get(index)?.map.get(value) ?? [])];
  }

  private onListed(): void {
    this.failures = 0;
    if (!this.synced) {
      this.synced = true;
      this.resolveSynced?.();
    }
  }

  private dispatch(event: InformerEvent, object: T): void {
    this.updateIndexes(event, object);
    for (const handler of this.handlers) {
      try {
        handler(event, object);
      } catch (error) {
        this.options.logger.error('informer handler failed', {
          kind: this.options.kind,
          error: describeError(error),
        });
      }
    }
  }

  private updateIndexes(event: InformerEvent, object: T): void {
    const key = objectKey(object);
    for (const [name, index] of this.indexes) {
      const previous = this.indexedValues.get(name);
      for (const value of previous?.get(key) ?? []) {
        const keys = index.map.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.map.delete(value);
      }
      if (event === 'delete') {
        previous?.delete(key);
        continue;
      }
      const values = index.fn(object);
      previous?.set(key, values);
      for (const value of values) {
        const keys = index.map.get(value) ?? new Set<string>();
        keys.add(key);
        index.map.set(value, keys);
      }
    }
  }

  private scheduleRestart(error: unknown): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.failures, { baseMs: 500, maxMs: 30_000 });
    this.failures += 1;
    this.options.metrics?.informerRestarts.inc({ kind: this.options.kind });
    this.options.logger.warn('watch failed; restarting', {
      kind: this.options.kind,
      error: describeError(error),
      retryInMs: delay,
    });
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      void this.listWatch.start().catch((next: unknown) => {
        this.scheduleRestart(next);
      });
    }, delay);
    this.restartTimer.unref();
  }
}
