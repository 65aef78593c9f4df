import type { Observation } from './observation.js';
import { parseServiceAccountUser } from './observation.js';
import type { AgentIndex } from './agent-index.js';
import { isObject, str } from './untrusted.js';

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

function agentOf(event: AuditEvent, index: AgentIndex): string | undefined {
  const username = isObject(event.user) ? str(event.user.username) : undefined;
  const sa = username ? parseServiceAccountUser(username) : undefined;
  return sa ? index.byServiceAccountName(sa.namespace, sa.name) : undefined;
}

/** The event's object reference with every field checked: one odd field must not fail a batch. */
function refOf(event: AuditEvent): Required<NonNullable<AuditEvent['objectRef']>> | undefined {
  const raw: Record<string, unknown> = isObject(event.objectRef) ? event.objectRef : {};
  const resource = str(raw.resource);
  if (!resource) return undefined;
  return {
    resource,
    subresource: str(raw.subresource) ?? '',
    apiGroup: str(raw.apiGroup) ?? '',
    namespace: str(raw.namespace) ?? '',
    name: str(raw.name) ?? '',
  };
}

/** An audit event of an agent, as an observation; other users' events are dropped. */
export function fromAuditEvent(event: AuditEvent, index: AgentIndex): Observation | undefined {
  if (event.stage !== undefined && event.stage !== 'ResponseComplete') return undefined;
  const agent = agentOf(event, index);
  const ref = agent ? refOf(event) : undefined;
  if (!agent || !ref) return undefined;
  const verb = str(event.verb) ?? '';
  const code = isObject(event.responseStatus) ? event.responseStatus.code : undefined;
  return {
    agent,
    at: timeOf(str(event.stageTimestamp)),
    source: 'api',
    verb,
    resource: resourceOf(ref),
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    outcome: outcomeOf(typeof code === 'number' ? code : 200),
    request: {
      verb,
      group: ref.apiGroup,
      resource: ref.resource,
      subresource: ref.subresource,
      namespace: ref.namespace,
      name: ref.name,
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
export function fromVaultAudit(line: unknown, index: AgentIndex): Observation | undefined {
  // Whatever arrives on the socket is only JSON: every field is checked for its type.
  if (!isObject(line) || line.type !== 'response') return undefined;
  const entry = line as VaultAuditEntry;
  const entity = str(entry.auth?.entity_id);
  const agent = entity ? index.byVaultEntity(entity) : undefined;
  const request = isObject(entry.request) ? entry.request : {};
  const path = str(request.path);
  if (!agent || !path) return undefined;
  const error = str(entry.error) ?? '';
  return {
    agent,
    at: timeOf(str(entry.time)),
    source: 'vault',
    verb: str(request.operation) ?? 'unknown',
    resource: `vault:${path}`,
    outcome: error.includes('permission denied') ? 'denied' : error ? 'error' : 'ok',
    ...(request.mount_type === 'kv' ? { secretPath: path } : {}),
  };
}
