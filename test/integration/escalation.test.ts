import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { env } from './fixture.js';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from './helpers.js';
import { startOperator, type OperatorProcess } from './operator-process.js';
import { condition, createIdentity, createPolicy, isActive, waitForIdentity } from './resources.js';

const operatorUser = 'aio-test-operator-without-escalate';

/** What the operator itself calls, plus read access to ConfigMaps — and no `escalate`. */
const operatorRules: k8s.V1PolicyRule[] = [
  {
    apiGroups: ['agentidentity.io'],
    resources: ['agentidentities', 'agentpolicies'],
    verbs: ['get', 'list', 'watch', 'patch', 'update'],
  },
  {
    apiGroups: ['agentidentity.io'],
    resources: ['agentidentities/status', 'agentpolicies/status', 'agentidentities/finalizers'],
    verbs: ['get', 'patch', 'update'],
  },
  {
    apiGroups: [''],
    resources: ['serviceaccounts'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  },
  {
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['roles', 'rolebindings'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['networkpolicies'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  // Secret copies of credentials: written, never read.
  { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] },
];

describe('an operator without escalate', function () {
  let operator: OperatorProcess;
  let namespace: string;
  const rbac = (): k8s.RbacAuthorizationV1Api =>
    adminKubeConfig().makeApiClient(k8s.RbacAuthorizationV1Api);

  before(async function () {
    await rbac().createClusterRole({
      body: { metadata: { name: operatorUser }, rules: operatorRules },
    });
    await rbac().createClusterRoleBinding({
      body: {
        metadata: { name: operatorUser },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: operatorUser },
        subjects: [{ kind: 'User', name: operatorUser, apiGroup: 'rbac.authorization.k8s.io' }],
      },
    });
    const kubeconfig = join(env().stateDir, `${operatorUser}.kubeconfig`);
    const credentials = await env().kube.issueClientCertificate(operatorUser);
    writeFileSync(kubeconfig, env().kube.kubeconfig(operatorUser, credentials), { mode: 0o600 });
    operator = startOperator(['--no-leader-elect', '--allowed-cluster-roles', 'view'], {
      kubeconfig,
    });
    await operator.waitForLog(/caches synced/);
  });

  after(async function () {
    await operator.stop();
    await rbac().deleteClusterRoleBinding({ name: operatorUser });
    await rbac().deleteClusterRole({ name: operatorUser });
  });

  beforeEach(async function () {
    namespace = await createTestNamespace('esc');
  });

  afterEach(async function () {
    await deleteTestNamespace(namespace);
  });

  it('grants what it holds itself', async function () {
    await createPolicy(namespace, 'cm', {
      kubernetes: { rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] },
    });
    await createIdentity(namespace, 'ok', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'cm' }],
    });
    await waitForIdentity(namespace, 'ok', 'Active', isActive);
  });

  it('reports Forbidden and binds nothing when a policy asks for more than it holds', async function () {
    await createPolicy(namespace, 'secrets', {
      kubernetes: { rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] },
    });
    await createIdentity(namespace, 'greedy', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'secrets' }],
    });
    const identity = await waitForIdentity(
      namespace,
      'greedy',
      'Forbidden',
      (i) => condition(i, 'RBACReady')?.reason === 'Forbidden',
    );
    assert.match(condition(identity, 'RBACReady')?.message ?? '', /applying the Role/);
    assert.equal(identity.status?.phase, 'Pending');
    const bindings = await rbac().listNamespacedRoleBinding({ namespace });
    assert.equal(bindings.items.length, 0);
  });
});
