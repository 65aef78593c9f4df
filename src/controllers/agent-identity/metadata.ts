import { API_VERSION, LABELS, MANAGED_BY } from '../../api/constants.js';
import type { AgentIdentity } from '../../api/resources.js';
import type { OwnerReference } from '../../runtime/kube-api.js';
import { labelValue } from './names.js';

/** The owner reference every child carries, so garbage collection follows the identity. */
export function ownerReference(identity: AgentIdentity): OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: 'AgentIdentity',
    name: identity.metadata.name,
    uid: identity.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * Metadata for a child object. Only the operator's own labels are set: the identity's labels
 * and annotations (GitOps tracking labels among them) are deliberately not copied, so a
 * GitOps tool never adopts or prunes what the operator owns.
 */
export function childMetadata(
  identity: AgentIdentity,
  name: string,
  extraLabels: Record<string, string> = {},
): {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ownerReferences: OwnerReference[];
} {
  return {
    name,
    namespace: identity.metadata.namespace,
    labels: {
      [LABELS.managedBy]: MANAGED_BY,
      [LABELS.agent]: labelValue(identity.metadata.name),
      ...extraLabels,
    },
    ownerReferences: [ownerReference(identity)],
  };
}

/** The uid of the AgentIdentity that owns `object`, if any. */
export function owningIdentityUid(object: {
  metadata?: { ownerReferences?: OwnerReference[] };
}): string | undefined {
  return object.metadata?.ownerReferences?.find(
    (ref) => ref.kind === 'AgentIdentity' && ref.apiVersion === API_VERSION,
  )?.uid;
}
