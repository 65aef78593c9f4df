import { strict as assert } from 'node:assert';
import * as k8s from '@kubernetes/client-node';
import type { AgentPolicySpec } from '../../src/api/agent-policy.js';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteTestNamespace,
  eventually,
} from './helpers.js';
import { startOperator, type OperatorProcess } from './operator-process.js';
import {
  condition,
  createIdentity,
  createPolicy,
  deleteIdentity,
  getIdentity,
  installCrds,
  isActive,
  patchIdentitySpec,
  patchPolicySpec,
  readOrUndefined,
  waitForIdentity,
} from './resources.js';

/** client-node returns model class instances; compare their JSON. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

const configMapReader: AgentPolicySpec = {
  kubernetes: { rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }] },
  network: {
    egress: [
      { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ protocol: 'TCP', port: 443 }] },
    ],
  },
};

describe('AgentIdentity reconciler', function () {
  let operator: OperatorProcess;
  let namespace: string;
  const core = (): k8s.CoreV1Api => adminKubeConfig().makeApiClient(k8s.CoreV1Api);
  const rbac = (): k8s.RbacAuthorizationV1Api =>
    adminKubeConfig().makeApiClient(k8s.RbacAuthorizationV1Api);
  const net = (): k8s.NetworkingV1Api => adminKubeConfig().makeApiClient(k8s.NetworkingV1Api);

  before(async function () {
    await installCrds();
    operator = startOperator(['--no-leader-elect', '--allowed-cluster-roles', 'view']);
    await operator.waitForLog(/caches synced/);
  });

  after(async function () {
    await operator.stop();
  });

  beforeEach(async function () {
    namespace = await createTestNamespace('aid');
  });

  afterEach(async function () {
    await deleteTestNamespace(namespace);
  });

  it('creates a machine-realm ServiceAccount, a Role, a RoleBinding and NetworkPolicies', async function () {
    await createPolicy(namespace, 'reader', configMapReader);
    await createIdentity(
      namespace,
      'billing-bot',
      { owner: 'team-billing', purpose: 'reconciles invoices', policyRefs: [{ name: 'reader' }] },
      {
        labels: { 'argocd.argoproj.io/instance': 'billing' },
        annotations: { 'team.example/x': 'y' },
      },
    );
    const identity = await waitForIdentity(namespace, 'billing-bot', 'Active', isActive);

    const sa = await core().readNamespacedServiceAccount({ namespace, name: 'agent-billing-bot' });
    assert.equal(sa.metadata?.labels?.['agentidentity.io/realm'], 'machine');
    assert.equal(sa.automountServiceAccountToken, false);
    assert.equal(
      sa.metadata?.labels?.['argocd.argoproj.io/instance'],
      undefined,
      'tracking label copied',
    );
    assert.equal(sa.metadata?.annotations?.['team.example/x'], undefined, 'annotation copied');
    assert.equal(sa.metadata?.ownerReferences?.[0]?.uid, identity.metadata.uid);

    const role = await rbac().readNamespacedRole({ namespace, name: 'aio-billing-bot' });
    assert.deepEqual(plain(role.rules), [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] },
    ]);
    const binding = await rbac().readNamespacedRoleBinding({ namespace, name: 'aio-billing-bot' });
    assert.equal(binding.roleRef.name, 'aio-billing-bot');
    assert.deepEqual(
      binding.subjects?.map((s) => s.name),
      ['agent-billing-bot'],
    );

    const deny = await net().readNamespacedNetworkPolicy({
      namespace,
      name: 'aio-billing-bot-default-deny',
    });
    assert.deepEqual(deny.spec?.podSelector?.matchLabels, {
      'agentidentity.io/agent': 'billing-bot',
    });
    assert.deepEqual(deny.spec?.policyTypes, ['Ingress', 'Egress']);
    assert.equal(deny.spec?.egress, undefined);
    const allow = await net().readNamespacedNetworkPolicy({
      namespace,
      name: 'aio-billing-bot-allow',
    });
    assert.equal(allow.spec?.egress?.length, 2, 'DNS and the policy egress rule');
    assert.equal(allow.spec?.egress?.[0]?.ports?.[0]?.port, 53);

    const {
      vaultEntityId: _entity,
      vaultIdentity: _vault,
      ...owned
    } = identity.status?.owned ?? {};
    assert.deepEqual(owned, {
      serviceAccount: 'agent-billing-bot',
      role: 'aio-billing-bot',
      roleBindings: ['aio-billing-bot'],
      networkPolicies: ['aio-billing-bot-default-deny', 'aio-billing-bot-allow'],
    });
    assert.equal(condition(identity, 'Ready')?.status, 'True');
    assert.ok(identity.metadata.finalizers?.includes('agentidentity.io/cleanup'));
  });

  it('carries a policy change to every identity that uses it', async function () {
    await createPolicy(namespace, 'shared', configMapReader);
    for (const name of ['one', 'two']) {
      await createIdentity(namespace, name, {
        owner: 'o',
        purpose: 'p',
        policyRefs: [{ name: 'shared' }],
      });
      await waitForIdentity(namespace, name, 'Active', isActive);
    }
    await patchPolicySpec(namespace, 'shared', {
      kubernetes: { rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] },
    });
    for (const name of ['one', 'two']) {
      await eventually(`${name}'s Role to follow the policy`, async () => {
        const role = await rbac().readNamespacedRole({ namespace, name: `aio-${name}` });
        return role.rules?.[0]?.resources?.[0] === 'secrets' ? true : undefined;
      });
    }
  });

  it('restores a RoleBinding deleted by hand and a Role edited by hand', async function () {
    await createPolicy(namespace, 'reader', configMapReader);
    await createIdentity(namespace, 'drift', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'reader' }],
    });
    await waitForIdentity(namespace, 'drift', 'Active', isActive);

    await rbac().deleteNamespacedRoleBinding({ namespace, name: 'aio-drift' });
    await eventually('the RoleBinding to be restored', async () =>
      (await readOrUndefined(() =>
        rbac().readNamespacedRoleBinding({ namespace, name: 'aio-drift' }),
      ))
        ? true
        : undefined,
    );

    const role = await rbac().readNamespacedRole({ namespace, name: 'aio-drift' });
    role.rules = [
      ...(role.rules ?? []),
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    ];
    await rbac().replaceNamespacedRole({ namespace, name: 'aio-drift', body: role });
    await eventually('the hand-added rule to be removed', async () => {
      const live = await rbac().readNamespacedRole({ namespace, name: 'aio-drift' });
      return live.rules?.length === 1 ? true : undefined;
    });
  });

  it('replaces a binding whose roleRef was changed by hand (roleRef is immutable)', async function () {
    await createPolicy(namespace, 'reader', configMapReader);
    await createIdentity(namespace, 'rebind', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'reader' }],
    });
    await waitForIdentity(namespace, 'rebind', 'Active', isActive);
    await rbac().deleteNamespacedRoleBinding({ namespace, name: 'aio-rebind' });
    await rbac()
      .createNamespacedRoleBinding({
        namespace,
        body: {
          metadata: {
            name: 'aio-rebind',
            labels: { 'app.kubernetes.io/managed-by': 'agent-identity-operator' },
          },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
          subjects: [{ kind: 'ServiceAccount', name: 'agent-rebind', namespace }],
        },
      })
      .catch(() => undefined);
    await eventually('the binding to point at the agent Role again', async () => {
      const binding = await readOrUndefined(() =>
        rbac().readNamespacedRoleBinding({ namespace, name: 'aio-rebind' }),
      );
      return binding?.roleRef.kind === 'Role' && binding.roleRef.name === 'aio-rebind'
        ? true
        : undefined;
    });
  });

  it('denies a suspended agent all traffic and removes its bindings, and restores them', async function () {
    await createPolicy(namespace, 'reader', {
      ...configMapReader,
      kubernetes: { ...configMapReader.kubernetes, clusterRoles: ['view'] },
    });
    await createIdentity(namespace, 'sleepy', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'reader' }],
    });
    await waitForIdentity(namespace, 'sleepy', 'Active', isActive);
    assert.equal((await rbac().listNamespacedRoleBinding({ namespace })).items.length, 2);

    await patchIdentitySpec(namespace, 'sleepy', { lifecycle: { suspended: true } });
    const suspended = await waitForIdentity(
      namespace,
      'sleepy',
      'Suspended',
      (i) =>
        i.status?.phase === 'Suspended' && i.status.observedGeneration === i.metadata.generation,
    );
    assert.equal(condition(suspended, 'Suspended')?.status, 'True');
    assert.equal(condition(suspended, 'NetworkReady')?.reason, 'TrafficDenied');
    assert.equal((await rbac().listNamespacedRoleBinding({ namespace })).items.length, 0);
    const policies = await net().listNamespacedNetworkPolicy({ namespace });
    assert.deepEqual(
      policies.items.map((p) => p.metadata?.name),
      ['aio-sleepy-default-deny'],
    );

    await patchIdentitySpec(namespace, 'sleepy', { lifecycle: { suspended: false } });
    await waitForIdentity(namespace, 'sleepy', 'Active again', isActive);
    assert.equal((await rbac().listNamespacedRoleBinding({ namespace })).items.length, 2);
  });

  it('refuses a ClusterRole outside the allow-list and binds the rest', async function () {
    await createPolicy(namespace, 'wants-admin', {
      ...configMapReader,
      kubernetes: { ...configMapReader.kubernetes, clusterRoles: ['admin', 'view'] },
    });
    await createIdentity(namespace, 'greedy', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'wants-admin' }],
    });
    const identity = await waitForIdentity(
      namespace,
      'greedy',
      'RBACReady reported',
      (i) => condition(i, 'RBACReady')?.reason === 'ClusterRoleNotAllowed',
    );
    assert.match(
      condition(identity, 'RBACReady')?.message ?? '',
      /"admin" is not on the operator's allow-list/,
    );
    const bindings = await rbac().listNamespacedRoleBinding({ namespace });
    assert.deepEqual(bindings.items.map((b) => b.roleRef.name).sort(), ['aio-greedy', 'view']);
  });

  it('reports a missing policy as a condition and keeps reconciling other agents', async function () {
    await createPolicy(namespace, 'reader', configMapReader);
    await createIdentity(namespace, 'orphan', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'nope' }],
    });
    await createIdentity(namespace, 'fine', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'reader' }],
    });
    const orphan = await waitForIdentity(
      namespace,
      'orphan',
      'PolicyNotFound',
      (i) => condition(i, 'RBACReady')?.reason === 'PolicyNotFound',
    );
    assert.equal(orphan.status?.phase, 'Pending');
    assert.match(condition(orphan, 'RBACReady')?.message ?? '', /"nope" not found/);
    await waitForIdentity(namespace, 'fine', 'Active', isActive);

    await createPolicy(namespace, 'nope', configMapReader);
    await waitForIdentity(namespace, 'orphan', 'Active once the policy exists', isActive);
  });

  it('removes everything it created when the identity is deleted', async function () {
    // kube-controller-manager's garbage collector discovers new resource types every 30s; the
    // CRDs are installed at the start of the run, but allow for a late discovery.
    this.timeout(90_000);
    await createPolicy(namespace, 'reader', configMapReader);
    await createIdentity(namespace, 'leaver', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'reader' }],
    });
    await waitForIdentity(namespace, 'leaver', 'Active', isActive);
    await deleteIdentity(namespace, 'leaver');
    await eventually(
      'the identity and its children to be gone',
      async () => {
        const [identity, sa, roles, bindings, policies] = await Promise.all([
          readOrUndefined(() => getIdentity(namespace, 'leaver')),
          readOrUndefined(() =>
            core().readNamespacedServiceAccount({ namespace, name: 'agent-leaver' }),
          ),
          rbac().listNamespacedRole({ namespace }),
          rbac().listNamespacedRoleBinding({ namespace }),
          net().listNamespacedNetworkPolicy({ namespace }),
        ]);
        const gone =
          !identity &&
          !sa &&
          roles.items.length === 0 &&
          bindings.items.length === 0 &&
          policies.items.length === 0;
        return gone ? true : undefined;
      },
      75_000,
    );
  });

  it('shortens names longer than Kubernetes allows with a hash, without collisions', async function () {
    await createPolicy(namespace, 'reader', configMapReader);
    const base = 'a'.repeat(240);
    await createIdentity(namespace, `${base}-x`, {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'reader' }],
    });
    await createIdentity(namespace, `${base}-y`, {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'reader' }],
    });
    const x = await waitForIdentity(namespace, `${base}-x`, 'Active', isActive);
    const y = await waitForIdentity(namespace, `${base}-y`, 'Active', isActive);
    const names = [x, y].flatMap((i) => [
      i.status?.owned?.serviceAccount ?? '',
      ...(i.status?.owned?.networkPolicies ?? []),
      ...(i.status?.owned?.roleBindings ?? []),
    ]);
    assert.equal(new Set(names).size, names.length, 'names collided');
    for (const name of names) assert.ok(name.length <= 253, `${name} is too long`);
    const deny = await net().readNamespacedNetworkPolicy({
      namespace,
      name: x.status?.owned?.networkPolicies?.[0] ?? '',
    });
    const label = deny.spec?.podSelector?.matchLabels?.['agentidentity.io/agent'] ?? '';
    assert.ok(label.length <= 63, 'the pod label value fits');
  });

  it('serves health, readiness and reconcile metrics on one port', async function () {
    await createPolicy(namespace, 'reader', configMapReader);
    await createIdentity(namespace, 'measured', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'reader' }],
    });
    await waitForIdentity(namespace, 'measured', 'Active', isActive);
    const line = await operator.waitForLog(/serving health and metrics/);
    const { port } = JSON.parse(line) as { port: number };
    const base = `http://127.0.0.1:${String(port)}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /aio_reconcile_total\{controller="agentidentity",result="success"\} \d+/);
    assert.match(metrics, /aio_reconcile_duration_seconds_bucket/);
    assert.match(metrics, /aio_workqueue_depth\{controller="agentidentity"\}/);
  });

  it('writes nothing when nothing changed', async function () {
    await createPolicy(namespace, 'reader', configMapReader);
    await createIdentity(namespace, 'steady', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'reader' }],
    });
    const before = await waitForIdentity(namespace, 'steady', 'Active', isActive);
    const versions = async (): Promise<string[]> => [
      (await getIdentity(namespace, 'steady')).metadata.resourceVersion ?? '',
      (await rbac().readNamespacedRole({ namespace, name: 'aio-steady' })).metadata
        ?.resourceVersion ?? '',
      (await core().readNamespacedServiceAccount({ namespace, name: 'agent-steady' })).metadata
        ?.resourceVersion ?? '',
    ];
    const first = await versions();
    // An unrelated annotation change makes the operator reconcile the identity again.
    await adminKubeConfig()
      .makeApiClient(k8s.CustomObjectsApi)
      .patchNamespacedCustomObject(
        {
          group: 'agentidentity.io',
          version: 'v1alpha1',
          namespace,
          plural: 'agentidentities',
          name: 'steady',
          body: { metadata: { annotations: { touch: '1' } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const second = await versions();
    assert.notEqual(second[0], first[0], 'the annotation was written');
    assert.deepEqual(second.slice(1), first.slice(1), 'children were rewritten');
    assert.deepEqual((await getIdentity(namespace, 'steady')).status, before.status);
  });

  it('leaves a pre-existing object it does not own alone and reports the conflict', async function () {
    await rbac().createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'aio-ops' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
      },
    });
    await createPolicy(namespace, 'secrets', {
      kubernetes: { rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] },
    });
    await createIdentity(namespace, 'ops', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'secrets' }],
    });
    const identity = await waitForIdentity(
      namespace,
      'ops',
      'NameConflict',
      (i) => condition(i, 'RBACReady')?.reason === 'NameConflict',
    );
    assert.match(condition(identity, 'RBACReady')?.message ?? '', /Role aio-ops already exists/);
    const role = await rbac().readNamespacedRole({ namespace, name: 'aio-ops' });
    assert.deepEqual(plain(role.rules), [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]);
    assert.equal(role.metadata?.ownerReferences, undefined);
  });

  it('gives agents a and agent-a separate ServiceAccounts', async function () {
    await createPolicy(namespace, 'reader', configMapReader);
    await createIdentity(namespace, 'a', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'reader' }],
    });
    await createIdentity(namespace, 'agent-a', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'reader' }],
    });
    const a = await waitForIdentity(namespace, 'a', 'Active', isActive);
    const agentA = await waitForIdentity(namespace, 'agent-a', 'Active', isActive);
    assert.equal(a.status?.owned?.serviceAccount, 'agent-a');
    assert.equal(agentA.status?.owned?.serviceAccount, 'agent-agent-a');
  });

  it('applies a tightened policy and undoes a rule added by hand to the default deny', async function () {
    await createPolicy(namespace, 'db', {
      network: {
        egress: [
          {
            to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'db' } } }],
            ports: [{ protocol: 'TCP', port: 5432 }],
          },
        ],
      },
    });
    await createIdentity(namespace, 'tight', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'db' }],
    });
    await waitForIdentity(namespace, 'tight', 'Active', isActive);
    await patchPolicySpec(namespace, 'db', {
      network: {
        egress: [
          {
            to: [{ podSelector: { matchLabels: { app: 'db' } } }],
            ports: [{ protocol: 'TCP', port: 5432 }],
          },
        ],
      },
    });
    await eventually('the namespace selector to be gone from the allow policy', async () => {
      const allow = await net().readNamespacedNetworkPolicy({ namespace, name: 'aio-tight-allow' });
      return allow.spec?.egress?.[1]?.to?.[0]?.namespaceSelector === undefined ? true : undefined;
    });

    await net().patchNamespacedNetworkPolicy(
      {
        namespace,
        name: 'aio-tight-default-deny',
        body: { spec: { egress: [{}], ingress: [{}] } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually('the default deny to deny again', async () => {
      const deny = await net().readNamespacedNetworkPolicy({
        namespace,
        name: 'aio-tight-default-deny',
      });
      return deny.spec?.egress === undefined && deny.spec?.ingress === undefined ? true : undefined;
    });
  });

  it('removes a binding of a suspended agent even after its owner reference was removed', async function () {
    await createPolicy(namespace, 'reader', configMapReader);
    await createIdentity(namespace, 'sly', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'reader' }],
    });
    await waitForIdentity(namespace, 'sly', 'Active', isActive);
    await rbac().patchNamespacedRoleBinding(
      { namespace, name: 'aio-sly', body: [{ op: 'remove', path: '/metadata/ownerReferences' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    await patchIdentitySpec(namespace, 'sly', { lifecycle: { suspended: true } });
    await waitForIdentity(namespace, 'sly', 'Suspended', (i) => i.status?.phase === 'Suspended');
    await eventually('the binding to be gone', async () =>
      (await readOrUndefined(() =>
        rbac().readNamespacedRoleBinding({ namespace, name: 'aio-sly' }),
      ))
        ? undefined
        : true,
    );
  });

  it('does not rewrite a NetworkPolicy whose policy holds empty lists', async function () {
    await createPolicy(namespace, 'empties', { network: { egress: [{ to: [], ports: [] }] } });
    await createIdentity(namespace, 'calm', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'empties' }],
      workloadSelector: { matchLabels: { app: 'calm' }, matchExpressions: [] },
    });
    await waitForIdentity(namespace, 'calm', 'Active', isActive);
    const version = async (): Promise<string> =>
      (await net().readNamespacedNetworkPolicy({ namespace, name: 'aio-calm-allow' })).metadata
        ?.resourceVersion ?? '';
    const first = await version();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(await version(), first, 'the allow policy was rewritten without a change');
  });
});
