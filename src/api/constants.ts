/** The API group and version of every resource this operator serves. */
export const GROUP = 'agentidentity.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** The one field manager for every server-side apply the operator performs. */
export const FIELD_MANAGER = 'agent-identity-operator';

/** The field manager of status.behavior and status.quarantine (written by the behaviour side). */
export const BEHAVIOR_FIELD_MANAGER = 'agent-identity-operator-behavior';

/** Holds an AgentIdentity until its credentials and bindings are cleaned up. */
export const FINALIZER = `${GROUP}/cleanup`;

/** Labels the operator puts on what it creates. */
export const LABELS = {
  /** Separates machine identities from human ones; always `machine` on agent objects. */
  realm: `${GROUP}/realm`,
  /** The AgentIdentity an object belongs to. */
  agent: `${GROUP}/agent`,
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const MANAGED_BY = 'agent-identity-operator';
export const REALM_MACHINE = 'machine';

/** Annotations users set on an AgentIdentity to ask for an action. */
export const ANNOTATIONS = {
  /** Any new value asks for one rotation of every credential (recorded in status). */
  rotate: `${GROUP}/rotate`,
  /** Names the human who releases a quarantine. */
  releaseQuarantine: `${GROUP}/release-quarantine`,
} as const;
