import type { Observation } from './observation.js';
import { parseServiceAccountUser } from './observation.js';
import type { AgentIndex } from './agent-index.js';

/** The parts of a Kubernetes audit event (audit.k8s.io/v1) the engine reads. */
export interface AuditEvent {
  stage?: string;
  verb?: string;
  user?: { username?: string };
  objectRef?: {
    resource?: string;
    subresource?: string;
    apiGroup?: string;
    namespace?: string;
    name?: string;
  };
  responseStatus?: { code?: number };
  stageTimestamp?: string;
}

/**
 * The time an event names, or now when it names none, one that does not parse, or one in
 * the future (another machine's clock): a bucket must never open ahead of now.
 */
function timeOf(stamp: string | undefined): number {
  const now = Date.now();
  const at = stamp ? Date.parse(stamp) : Number.NaN;
  return Number.isFinite(at) ? Math.min(at, now) : now;
}

function resourceOf(ref: NonNullable<AuditEvent['objectRef']>): string {
  const group = ref.apiGroup ? `${ref.apiGroup}/` : '';
  const sub = ref.subresource ? `/${ref.subresource}` : '';
  return `${group}${ref.resource ?? ''}${sub}`;
}

const outcomeOf = (code: number): Observation['outcome'] =>
  code === 403 ? 'denied' : code >= 400 ? 'error' : 'ok';

/** An audit event of an agent, as an observation; other users' events are dropped. */
export function fromAuditEvent(event: AuditEvent, index: AgentIndex): Observation | undefined {
  if (event.stage !== undefined && event.stage !== 'ResponseComplete') return undefined;
  const username = event.user?.username;
  const sa = typeof username === 'string' ? parseServiceAccountUser(username) : undefined;
  const agent = sa ? index.byServiceAccountName(sa.namespace, sa.name) : undefined;
  const ref = event.objectRef;
  if (!agent || typeof ref?.resource !== 'string') return undefined;
  return {
    agent,
    at: timeOf(event.stageTimestamp),
    source: 'api',
    verb: event.verb ?? '',
    resource: resourceOf(ref),
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    outcome: outcomeOf(event.responseStatus?.code ?? 200),
    request: {
      verb: event.verb ?? '',
      group: ref.apiGroup ?? '',
      resource: ref.resource,
      subresource: ref.subresource ?? '',
      namespace: ref.namespace ?? '',
      name: ref.name ?? '',
    },
  };
}

/** One line of the Vault / OpenBao audit device (JSON format). */
export interface VaultAuditEntry {
  type?: string;
  time?: string;
  error?: string;
  auth?: { entity_id?: string };
  request?: { operation?: string; path?: string; mount_type?: string };
}

/** A Vault response entry of an agent's entity, as an observation (paths only, no data). */
export function fromVaultAudit(entry: VaultAuditEntry, index: AgentIndex): Observation | undefined {
  if (entry.type !== 'response') return undefined;
  const entity = entry.auth?.entity_id;
  const agent = entity ? index.byVaultEntity(entity) : undefined;
  const path = entry.request?.path;
  if (!agent || !path) return undefined;
  const denied = (entry.error ?? '').includes('permission denied');
  return {
    agent,
    at: timeOf(entry.time),
    source: 'vault',
    verb: entry.request?.operation ?? 'unknown',
    resource: `vault:${path}`,
    outcome: denied ? 'denied' : entry.error ? 'error' : 'ok',
    ...(entry.request?.mount_type === 'kv' ? { secretPath: path } : {}),
  };
}
