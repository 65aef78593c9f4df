import type { Observation } from './observation.js';
import { parseServiceAccountUser } from './observation.js';
import type { AgentIndex } from './agent-index.js';

/** The parts of a Kubernetes audit event (audit.k8s.io/v1) the engine reads. */
export interface AuditEvent {
  stage?: string;
  verb?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; subresource?: string; apiGroup?: string; namespace?: string };
  responseStatus?: { code?: number };
  stageTimestamp?: string;
}

/** An audit event of an agent, as an observation; other users' events are dropped. */
export function fromAuditEvent(event: AuditEvent, index: AgentIndex): Observation | undefined {
  if (event.stage !== undefined && event.stage !== 'ResponseComplete') return undefined;
  const sa = parseServiceAccountUser(event.user?.username ?? '');
  const agent = sa ? index.byServiceAccountName(sa.namespace, sa.name) : undefined;
  if (!agent || !event.objectRef?.resource) return undefined;
  const ref = event.objectRef;
  const resource = `${ref.apiGroup ? `${ref.apiGroup}/` : ''}${ref.resource ?? ''}${ref.subresource ? `/${ref.subresource}` : ''}`;
  const code = event.responseStatus?.code ?? 200;
  return {
    agent,
    at: event.stageTimestamp ? Date.parse(event.stageTimestamp) : Date.now(),
    source: 'api',
    verb: event.verb ?? '',
    resource,
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    outcome: code === 403 ? 'denied' : code >= 400 ? 'error' : 'ok',
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
    at: entry.time ? Date.parse(entry.time) : Date.now(),
    source: 'vault',
    verb: entry.request?.operation ?? 'unknown',
    resource: `vault:${path}`,
    outcome: denied ? 'denied' : entry.error ? 'error' : 'ok',
    ...(entry.request?.mount_type === 'kv' ? { secretPath: path } : {}),
  };
}
