import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { FIELD_MANAGER } from '../api/constants.js';

export type { KubeObject, ObjectMeta, OwnerReference } from '../api/object-meta.js';

export interface KubeList<T> {
  items: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/**
 * A failed API call. `message` is the API server's own message, which names objects and
 * fields but never carries request bodies, so it is safe to show in a condition.
 */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'KubeApiError';
  }

  get notFound(): boolean {
    return this.status === 404;
  }

  get forbidden(): boolean {
    return this.status === 403;
  }

  get conflict(): boolean {
    return this.status === 409;
  }

  get invalid(): boolean {
    return this.status === 422;
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof KubeApiError && error.notFound;
}

type TlsMaterial = Pick<
  RequestOptions,
  'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'
>;

interface RequestSpec {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

/**
 * A small JSON client for the Kubernetes REST API. Authentication and TLS come from
 * client-node's KubeConfig (so in-cluster tokens, client certificates and exec plugins work
 * as everywhere else); bodies stay plain JSON end to end, so what the informer caches, what
 * reconcilers build and what is sent are the same shapes. Connections are kept alive.
 */
export class KubeApi {
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly server: URL;

  private constructor(
    private readonly kc: KubeConfig,
    tls: TlsMaterial,
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.agent =
      this.server.protocol === 'https:'
        ? new HttpsAgent({ ...tls, keepAlive: true, maxSockets: 64 })
        : new HttpAgent({ keepAlive: true, maxSockets: 64 });
  }

  /** Builds a client from a KubeConfig, reading its TLS material once. */
  static async create(kc: KubeConfig): Promise<KubeApi> {
    const options: RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    const { ca, cert, key, rejectUnauthorized, servername } = options;
    return new KubeApi(kc, { ca, cert, key, rejectUnauthorized, servername });
  }

  get kubeConfig(): KubeConfig {
    return this.kc;
  }

  async get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path, {});
  }

  async list<T>(path: string, query: RequestSpec['query'] = {}): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('GET', path, { query });
  }

  async create<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  /**
   * Server-side apply with the operator's field manager. Behaviour status (risk, quarantine)
   * is written under its own manager so the reconciler's status writes never touch it.
   */
  async apply<T>(path: string, body: unknown, fieldManager: string = FIELD_MANAGER): Promise<T> {
    return this.request<T>('PATCH', path, {
      body,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager, force: true },
    });
  }

  async mergePatch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body, contentType: 'application/merge-patch+json' });
  }

  async jsonPatch<T>(path: string, operations: unknown[]): Promise<T> {
    return this.request<T>('PATCH', path, {
      body: operations,
      contentType: 'application/json-patch+json',
    });
  }

  async replace<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }

  /** Deletes; a missing object is not an error. */
  async delete(
    path: string,
    options: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; uid?: string } = {},
  ): Promise<void> {
    try {
      await this.request('DELETE', path, {
        body: {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          propagationPolicy: options.propagationPolicy ?? 'Background',
          ...(options.uid ? { preconditions: { uid: options.uid } } : {}),
        },
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async request<T>(method: string, path: string, spec: RequestSpec): Promise<T> {
    const url = new URL(this.server.pathname.replace(/\/$/, '') + path, this.server);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const auth: RequestOptions = {};
    await this.kc.applyToHTTPSOptions(auth);
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const headers: Record<string, string> = {
      ...(auth.headers as Record<string, string> | undefined),
      accept: 'application/json',
    };
    if (payload !== undefined) {
      headers['content-type'] = spec.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const { status, body } = await this.send(url, method, headers, payload, spec.timeoutMs);
    if (status >= 200 && status < 300) return (body === '' ? {} : JSON.parse(body)) as T;
    throw toApiError(status, body, method, path);
  }

  private async send(
    url: URL,
    method: string,
    headers: Record<string, string>,
    payload: string | undefined,
    timeoutMs = 30_000,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, agent: this.agent, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
      req.on('error', (cause) => {
        reject(
          new KubeApiError(0, 'ConnectionFailed', `${method} ${url.pathname}: ${cause.message}`, {
            cause,
          }),
        );
      });
      req.end(payload);
    });
  }

  /** Closes kept-alive connections (on shutdown). */
  close(): void {
    this.agent.destroy();
  }
}

function toApiError(status: number, body: string, method: string, path: string): KubeApiError {
  try {
    const parsed = JSON.parse(body) as { reason?: string; message?: string };
    return new KubeApiError(
      status,
      parsed.reason ?? 'Unknown',
      parsed.message ?? `${method} ${path}: HTTP ${String(status)}`,
    );
  } catch {
    return new KubeApiError(status, 'Unknown', `${method} ${path}: HTTP ${String(status)}`);
  }
}
