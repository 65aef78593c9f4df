import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { dump, load } from 'js-yaml';
import { renderDeployManifest } from '../../scripts/generated/deploy.js';
import { createAgentWebhookFiles } from '../../scripts/local-env/agent-webhooks.js';
import { freePort } from '../../scripts/local-env/ports.js';
import { repoRoot } from '../../scripts/local-env/versions.js';
import { observedSecretValues, kvValue } from './backends.js';
import { env } from './fixture.js';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteTestNamespace,
  eventually,
  runTool,
} from './helpers.js';
import { startOperator } from './operator-process.js';
import { ensureVaultTokenReviewer } from './vault-reviewer.js';
import {
  condition,
  createIdentity,
  createPolicy,
  deleteIdentity,
  getIdentity,
  isActive,
  patchIdentitySpec,
  readOrUndefined,
  waitForIdentity,
} from './resources.js';

const run = promisify(execFile);
const chart = join(repoRoot, 'charts', 'agent-identity-operator');
const fullValues = join(chart, 'ci', 'full-values.yaml');

async function helm(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(env().helm, args, {
    env: { ...process.env, ...env().processEnv() },
    maxBuffer: 20 * 1024 * 1024,
  });
}

async function helmFails(...args: string[]): Promise<string> {
  try {
    await helm(...args);
  } catch (error) {
    return String((error as { stderr?: string }).stderr);
  }
  throw new Error(`helm ${args.join(' ')} succeeded`);
}

describe('the Helm chart', function () {
  this.timeout(60_000);

  it('passes helm lint with the default and with the full values', async function () {
    await helm('lint', chart);
    await helm('lint', chart, '-f', fullValues);
  });

  it('renders with the default and with the full values', async function () {
    const defaults = await helm('template', 'aio', chart, '-n', 'agent-identity-system');
    assert.match(defaults.stdout, /kind: Deployment/);
    assert.doesNotMatch(defaults.stdout, /ServiceMonitor/);
    const full = await helm('template', 'aio', chart, '-n', 'ops', '-f', fullValues);
    for (const kind of ['ServiceMonitor', 'PodDisruptionBudget', 'ClusterRoleBinding', 'Service']) {
      assert.match(full.stdout, new RegExp(`kind: ${kind}`));
    }
    assert.match(
      full.stdout,
      /--vault-token-reviewer=ops\/aio-agent-identity-operator-vault-token-reviewer/,
    );
    assert.match(full.stdout, /--aws-region=eu-west-1/);
  });

  const bad: [string, string[], RegExp][] = [
    [
      'an operator ServiceAccount named like an agent',
      ['--set', 'serviceAccount.name=agent-operator'],
      /serviceAccount\/name/,
    ],
    [
      'cluster-admin on the allow-list',
      ['--set', 'allowedClusterRoles={cluster-admin}'],
      /allowedClusterRoles\/0/,
    ],
    ['Vault without an address', ['--set', 'vault.enabled=true'], /vault\/address/],
    ['a bad duration', ['--set', 'resync=ten minutes'], /resync/],
    [
      'a wildcard grantable resource',
      [
        '--set',
        'grantablePermissions[0].resources={*}',
        '--set',
        'grantablePermissions[0].apiGroups={""}',
        '--set',
        'grantablePermissions[0].verbs={get}',
      ],
      /grantablePermissions\/0\/resources\/0/,
    ],
    [
      'the webhook without its certificates',
      ['--set', 'behavior.webhook.enabled=true'],
      /behavior\/webhook\/tlsSecretName/,
    ],
    [
      'an AWS write rate above the service limit',
      ['--set', 'aws.writesPerSecond=80'],
      /aws\/writesPerSecond/,
    ],
  ];
  for (const [what, args, message] of bad) {
    it(`refuses ${what} at install time with a clear message`, async function () {
      assert.match(await helmFails('template', 'aio', chart, ...args), message);
    });
  }

  it('matches the checked-in plain manifest in deploy/', async function () {
    const expected = await renderDeployManifest(env().helm);
    assert.equal(
      readFileSync(join(repoRoot, 'deploy', 'agent-identity-operator.yaml'), 'utf8'),
      expected,
      'run npm run generate',
    );
  });

  it('has a plain manifest the API server accepts', async function () {
    // A dry run does not create the namespace the first document declares.
    await ensureVaultTokenReviewer();
    await runTool('kubectl', [
      'apply',
      '--dry-run=server',
      '-f',
      join(repoRoot, 'deploy', 'agent-identity-operator.yaml'),
    ]);
  });
});

describe('least privilege, proven on the real control plane', function () {
  this.timeout(240_000);
  let namespace: string;
  let agents: string;
  const release = 'aio';
  const fullname = 'aio-agent-identity-operator';

  before(async function () {
    namespace = await createTestNamespace('aio-system');
    agents = await createTestNamespace('lp-agents');
    const values = {
      allowedClusterRoles: ['view'],
      vault: {
        enabled: true,
        address: env().openbao?.address ?? '',
        auth: { method: 'kubernetes' },
      },
      aws: { enabled: true, region: 'us-east-1' },
      behavior: {
        webhook: {
          enabled: true,
          tlsSecretName: 'aio-webhook-tls',
          clientCaSecretName: 'aio-webhook-client-ca',
        },
      },
    };
    const valuesFile = join(env().stateDir, 'lp-values.yaml');
    writeFileSync(valuesFile, dump(values));
    // The CRDs are already installed for the whole run (kubectl's field manager owns them).
    await helm(
      'install',
      release,
      chart,
      '-n',
      namespace,
      '-f',
      valuesFile,
      '--skip-crds',
      '--wait=false',
    );
  });

  after(async function () {
    await helm('uninstall', release, '-n', namespace).catch(() => undefined);
    await deleteTestNamespace(agents);
    await deleteTestNamespace(namespace);
  });

  /** A kubeconfig that acts as the chart's ServiceAccount, by impersonation. */
  function impersonatingKubeconfig(): string {
    const admin = load(readFileSync(env().kube.kubeconfigPath, 'utf8')) as {
      users: { user: Record<string, unknown> }[];
    };
    const user = admin.users[0];
    if (user) user.user.as = `system:serviceaccount:${namespace}:aio-operator`;
    const path = join(env().stateDir, 'chart-operator.kubeconfig');
    writeFileSync(path, dump(admin), { mode: 0o600 });
    return path;
  }

  it('runs a full scenario as the chart ServiceAccount without a single forbidden call', async function () {
    const kubeconfig = impersonatingKubeconfig();
    // With the webhook on, the leader labels its pod; a pod object stands for it (this
    // control plane has no nodes, so it stays Pending).
    const pod = 'aio-operator-0';
    await adminKubeConfig()
      .makeApiClient(k8s.CoreV1Api)
      .createNamespacedPod({
        namespace,
        body: {
          metadata: { name: pod, labels: { 'agentidentity.io/webhook-leader': 'true' } },
          spec: { containers: [{ name: 'operator', image: 'example' }] },
        },
      });
    const dir = join(env().stateDir, 'lp-webhooks');
    mkdirSync(dir, { recursive: true });
    const webhook = await createAgentWebhookFiles(dir, await freePort());
    const operator = startOperator(
      [
        ...webhook.operatorArgs,
        '--pod-name',
        pod,
        '--namespace',
        namespace,
        '--lease-name',
        fullname,
        '--allowed-cluster-roles',
        'view',
        '--vault-token-reviewer',
        `${namespace}/${fullname}-vault-token-reviewer`,
      ],
      { kubeconfig },
    );
    try {
      await operator.waitForLog(/became leader/);
      await operator.waitForLog(/configured the Vault Kubernetes auth mount/);
      await operator.waitForLog(/labelled this pod as the webhook leader/);
      assert.ok(operator.logs().some((line) => line.includes('cleared the webhook leader label')));
      const apps = adminKubeConfig().makeApiClient(k8s.AppsV1Api);
      await apps.createNamespacedDeployment({
        namespace: agents,
        body: {
          metadata: { name: 'worker' },
          spec: {
            selector: { matchLabels: { app: 'worker' } },
            template: {
              metadata: { labels: { app: 'worker' } },
              spec: { containers: [{ name: 'w', image: 'example' }] },
            },
          },
        },
      });
      await createPolicy(agents, 'worker', {
        kubernetes: {
          rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
          clusterRoles: ['view'],
        },
        vault: { paths: [{ path: `secret/data/${agents}/shared/*`, capabilities: ['read'] }] },
        network: {
          egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 443 }] }],
        },
      });
      await createIdentity(agents, 'worker', {
        owner: 'o',
        purpose: 'p',
        policyRefs: [{ name: 'worker' }],
        credentials: [
          {
            name: 'key',
            rotation: { interval: '1h', gracePeriod: '2s' },
            kubernetesSecret: {},
            rolloutRestartTargets: [{ kind: 'Deployment', name: 'worker' }],
          },
          {
            name: 'cloud',
            store: 'AWSSecretsManager',
            rotation: { interval: '1h', gracePeriod: '2s' },
          },
        ],
      });
      const active = await waitForIdentity(
        agents,
        'worker',
        'Active with credentials',
        (i) => isActive(i) && (i.status?.credentials?.length ?? 0) === 2,
      );
      assert.deepEqual(active.status?.owned?.roleBindings, ['aio-worker', 'aio-worker-cr-view']);

      // Rotation on request, grace period, Secret copy and rollout restart.
      await adminKubeConfig()
        .makeApiClient(k8s.CustomObjectsApi)
        .patchNamespacedCustomObject(
          {
            group: 'agentidentity.io',
            version: 'v1alpha1',
            namespace: agents,
            plural: 'agentidentities',
            name: 'worker',
            body: { metadata: { annotations: { 'agentidentity.io/rotate': '1' } } },
          },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        );
      await waitForIdentity(
        agents,
        'worker',
        'rotated',
        (i) => i.status?.credentials?.every((c) => c.currentVersion === 2) === true,
      );
      await waitForIdentity(
        agents,
        'worker',
        'previous retired',
        (i) => i.status?.credentials?.every((c) => c.previousRetiresAt === undefined) === true,
        30_000,
      );
      assert.ok(await kvValue(`agents/${agents}/worker/key`));

      // Suspension and back.
      await patchIdentitySpec(agents, 'worker', { lifecycle: { suspended: true } });
      const suspended = await waitForIdentity(
        agents,
        'worker',
        'Suspended',
        (i) =>
          i.status?.phase === 'Suspended' &&
          condition(i, 'VaultReady')?.reason === 'EntityDisabled',
      );
      assert.deepEqual(suspended.status?.owned?.roleBindings, []);
      await patchIdentitySpec(agents, 'worker', { lifecycle: { suspended: false } });
      await waitForIdentity(agents, 'worker', 'Active again', isActive);

      // Deletion.
      await deleteIdentity(agents, 'worker');
      await eventually(
        'the identity to be gone',
        async () =>
          (await readOrUndefined(() => getIdentity(agents, 'worker'))) ? undefined : true,
        60_000,
      );

      // Other tests' namespaces being deleted refuse new objects with a 403 of their own.
      const forbidden = operator
        .logs()
        .filter(
          (line) => /forbidden/i.test(line) && !line.includes('because it is being terminated'),
        );
      assert.deepEqual(forbidden, [], 'the chart ClusterRole lacks a permission the operator used');
      assert.ok(observedSecretValues.size > 0);
    } finally {
      await operator.stop();
    }
  });

  it('cannot read Secrets it does not own, nor anything outside its role', async function () {
    const kubeconfig = impersonatingKubeconfig();
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const secretName = 'not-the-operators';
    await adminKubeConfig()
      .makeApiClient(k8s.CoreV1Api)
      .createNamespacedSecret({
        namespace: agents,
        body: { metadata: { name: secretName }, stringData: { password: 'x' } },
      });
    const refused = async (call: () => Promise<unknown>): Promise<number> =>
      call().then(
        () => 200,
        (error: unknown) => (error instanceof k8s.ApiException ? error.code : 0),
      );
    assert.equal(
      await refused(() => core.readNamespacedSecret({ namespace: agents, name: secretName })),
      403,
    );
    assert.equal(await refused(() => core.listNamespacedSecret({ namespace: agents })), 403);
    assert.equal(await refused(() => core.listSecretForAllNamespaces()), 403);
    assert.equal(await refused(() => core.listNamespacedPod({ namespace: agents })), 403);
    const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    assert.equal(
      await refused(() =>
        rbac.createNamespacedRoleBinding({
          namespace: agents,
          body: {
            metadata: { name: 'escalate' },
            roleRef: {
              apiGroup: 'rbac.authorization.k8s.io',
              kind: 'ClusterRole',
              name: 'cluster-admin',
            },
            subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: agents }],
          },
        }),
      ),
      403,
      'bound cluster-admin',
    );
    const { stdout } = await run(
      'kubectl',
      ['--kubeconfig', kubeconfig, 'auth', 'can-i', '--list', '-n', agents],
      { env: process.env },
    );
    assert.doesNotMatch(stdout, /^\*\.\*\s/m, 'a wildcard rule');
    assert.doesNotMatch(stdout, /escalate/);
  });
});
