import { LABELS, REALM_MACHINE } from '../../api/constants.js';
import type { AgentIdentity } from '../../api/resources.js';
import type { KubeObject } from '../../runtime/kube-api.js';
import { childMetadata } from './metadata.js';
import type { ChildNames } from './names.js';

export interface ServiceAccountManifest extends KubeObject {
  automountServiceAccountToken: boolean;
}

/**
 * The agent's ServiceAccount, labelled as a machine identity. Token automount is off unless
 * the identity asks for it: agents should request short-lived tokens explicitly.
 */
export function buildServiceAccount(
  identity: AgentIdentity,
  names: ChildNames,
): ServiceAccountManifest {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: childMetadata(identity, names.serviceAccount, { [LABELS.realm]: REALM_MACHINE }),
    automountServiceAccountToken: identity.spec.serviceAccount?.automountToken ?? false,
  };
}
