import { createHash } from 'node:crypto';
import type { CredentialSpec } from '../../../api/agent-identity.js';
import type { AgentIdentity } from '../../../api/resources.js';
import type { KubeObject } from '../../../api/object-meta.js';
import { childMetadata } from '../metadata.js';
import { boundedName } from '../names.js';

export const VERSION_ANNOTATION = 'agentidentity.io/credential-version';

export interface SecretManifest extends KubeObject {
  type: string;
  data: Record<string, string>;
}

/** The Kubernetes Secret name for a credential's copy: as declared, or `<agent>-<credential>`. */
export function secretCopyName(identity: AgentIdentity, spec: CredentialSpec): string {
  return spec.kubernetesSecret?.name ?? boundedName(`${identity.metadata.name}-${spec.name}`);
}

/** The Secret holding the current value, owned by the identity and marked with its version. */
export function buildSecretCopy(
  identity: AgentIdentity,
  spec: CredentialSpec,
  value: string,
  version: number,
): SecretManifest {
  const metadata = childMetadata(identity, secretCopyName(identity, spec));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { ...metadata, annotations: { [VERSION_ANNOTATION]: String(version) } },
    type: 'Opaque',
    data: { value: Buffer.from(value, 'utf8').toString('base64') },
  };
}

/**
 * The pod-template annotation value that restarts consumers after a rotation: a hash of the
 * version identifiers (never of the value), different for every rotation even within one
 * second.
 */
export function restartHash(
  identity: AgentIdentity,
  credential: string,
  version: number,
  storeVersions: object,
): string {
  return createHash('sha256')
    .update(
      `${identity.metadata.uid ?? ''}/${credential}/${String(version)}/${JSON.stringify(storeVersions)}`,
    )
    .digest('hex')
    .slice(0, 16);
}

export function restartAnnotation(credential: string): string {
  return `agentidentity.io/restarted-for-${credential}`;
}
