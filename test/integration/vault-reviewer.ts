import * as k8s from '@kubernetes/client-node';
import { adminKubeConfig } from './helpers.js';

export const REVIEWER_NAMESPACE = 'agent-identity-system';
export const REVIEWER_NAME = 'aio-vault-token-reviewer';

/**
 * The ServiceAccount Vault uses for TokenReview, bound to system:auth-delegator, as the Helm
 * chart creates it. Idempotent: each test file that runs the operator with Vault calls it.
 */
export async function ensureVaultTokenReviewer(): Promise<string> {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const ignoreExists = (error: unknown): void => {
    if (!(error instanceof k8s.ApiException && error.code === 409)) throw error;
  };
  await core
    .createNamespace({ body: { metadata: { name: REVIEWER_NAMESPACE } } })
    .catch(ignoreExists);
  await core
    .createNamespacedServiceAccount({
      namespace: REVIEWER_NAMESPACE,
      body: { metadata: { name: REVIEWER_NAME } },
    })
    .catch(ignoreExists);
  await rbac
    .createClusterRoleBinding({
      body: {
        metadata: { name: REVIEWER_NAME },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'system:auth-delegator',
        },
        subjects: [{ kind: 'ServiceAccount', name: REVIEWER_NAME, namespace: REVIEWER_NAMESPACE }],
      },
    })
    .catch(ignoreExists);
  return `${REVIEWER_NAMESPACE}/${REVIEWER_NAME}`;
}
