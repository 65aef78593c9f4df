import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import * as k8s from '@kubernetes/client-node';
import vault from 'node-vault';
import { env } from './fixture.js';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteTestNamespace,
  eventually,
  runTool,
} from './helpers.js';

const widgetCrd = (group: string): k8s.V1CustomResourceDefinition => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: { min: { type: 'integer' }, max: { type: 'integer' } },
                x_kubernetes_validations: [
                  { rule: 'self.min <= self.max', message: 'min must not exceed max' },
                ],
              },
            },
          },
        },
      },
    ],
  },
});

describe('the local environment', function () {
  const kc = (): k8s.KubeConfig => adminKubeConfig();
  let namespace: string;

  beforeEach(async function () {
    namespace = await createTestNamespace('env');
  });

  afterEach(async function () {
    await deleteTestNamespace(namespace);
  });

  it('reports the pinned Kubernetes release as its version', async function () {
    const version = await kc().makeApiClient(k8s.VersionApi).getCode();
    const { kubernetes } = (await import('../../scripts/local-env/versions.js')).readVersions();
    assert.equal(version.gitVersion, kubernetes);
  });

  it('creates a ServiceAccount and a NetworkPolicy', async function () {
    const core = kc().makeApiClient(k8s.CoreV1Api);
    const net = kc().makeApiClient(k8s.NetworkingV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'robot' } } });
    await net.createNamespacedNetworkPolicy({
      namespace,
      body: {
        metadata: { name: 'deny-all' },
        spec: {
          podSelector: { matchLabels: { app: 'robot' } },
          policyTypes: ['Ingress', 'Egress'],
        },
      },
    });
    const sa = await core.readNamespacedServiceAccount({ namespace, name: 'robot' });
    const policy = await net.readNamespacedNetworkPolicy({ namespace, name: 'deny-all' });
    assert.equal(sa.metadata?.name, 'robot');
    assert.deepEqual(policy.spec?.policyTypes, ['Ingress', 'Egress']);
  });

  it('enforces a CRD CEL rule with its message', async function () {
    const group = `env${randomBytes(3).toString('hex')}.example.com`;
    const ext = kc().makeApiClient(k8s.ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({ body: widgetCrd(group) });
    try {
      const objects = kc().makeApiClient(k8s.CustomObjectsApi);
      const widget = (name: string, min: number, max: number): object => ({
        apiVersion: `${group}/v1`,
        kind: 'Widget',
        metadata: { name },
        spec: { min, max },
      });
      const create = async (body: object): Promise<unknown> =>
        objects.createNamespacedCustomObject({
          group,
          version: 'v1',
          namespace,
          plural: 'widgets',
          body,
        });
      await eventually('the Widget CRD to be served', async () => {
        await create(widget('good', 1, 2));
        return true;
      });
      await assert.rejects(create(widget('bad', 3, 2)), (error: unknown) => {
        assert.ok(error instanceof k8s.ApiException);
        assert.equal(error.code, 422);
        assert.match(String(error.body), /min must not exceed max/);
        return true;
      });
    } finally {
      await ext.deleteCustomResourceDefinition({ name: `widgets.${group}` });
    }
  });

  it('issues a ServiceAccount token that TokenReview accepts', async function () {
    const core = kc().makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'agent' } } });
    const request = await core.createNamespacedServiceAccountToken({
      namespace,
      name: 'agent',
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = request.status?.token;
    assert.ok(token);
    const review = await kc()
      .makeApiClient(k8s.AuthenticationV1Api)
      .createTokenReview({ body: { spec: { token } } });
    assert.equal(review.status?.authenticated, true);
    assert.equal(review.status.user?.username, `system:serviceaccount:${namespace}:agent`);
  });

  it('collects garbage: a dependent goes when its owner is deleted', async function () {
    const core = kc().makeApiClient(k8s.CoreV1Api);
    const owner = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'owner' } },
    });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: {
          name: 'dependent',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' },
          ],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ namespace, name: 'owner' });
    await eventually('the dependent ConfigMap to be collected', async () => {
      try {
        await core.readNamespacedConfigMap({ namespace, name: 'dependent' });
        return undefined;
      } catch (error) {
        return error instanceof k8s.ApiException && error.code === 404 ? true : undefined;
      }
    });
  });

  it('deletes a namespace completely', async function () {
    const core = kc().makeApiClient(k8s.CoreV1Api);
    const doomed = await createTestNamespace('doomed');
    await core.createNamespacedConfigMap({ namespace: doomed, body: { metadata: { name: 'x' } } });
    await core.deleteNamespace({ name: doomed });
    await eventually('the namespace to be gone', async () => {
      try {
        await core.readNamespace({ name: doomed });
        return undefined;
      } catch (error) {
        return error instanceof k8s.ApiException && error.code === 404 ? true : undefined;
      }
    });
  });

  it('writes and reads a KV v2 secret in OpenBao with node-vault', async function () {
    const bao = env().openbao;
    assert.ok(bao);
    const client = vault({ apiVersion: 'v1', endpoint: bao.address, token: bao.rootToken });
    const path = `secret/data/env-test/${namespace}`;
    await client.write(path, { data: { apiKey: 'not-a-real-key' } });
    const read = (await client.read(path)) as { data: { data: Record<string, string> } };
    assert.equal(read.data.data.apiKey, 'not-a-real-key');
  });

  it('creates and reads a secret in moto with the AWS SDK', async function () {
    const moto = env().moto;
    assert.ok(moto);
    const client = new SecretsManagerClient({
      endpoint: moto.endpoint,
      region: moto.region,
      credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey },
    });
    const name = `env-test/${namespace}`;
    await client.send(new CreateSecretCommand({ Name: name, SecretString: 'hello' }));
    const value = await client.send(new GetSecretValueCommand({ SecretId: name }));
    assert.equal(value.SecretString, 'hello');
    assert.ok(value.VersionStages?.includes('AWSCURRENT'));
  });

  it('serves kubectl and Helm with the generated kubeconfig', async function () {
    const kubectl = await runTool('kubectl', ['get', 'ns', namespace, '-o', 'name']);
    assert.equal(kubectl.stdout.trim(), `namespace/${namespace}`);
    const helm = await runTool(env().helm, ['version', '--short']);
    const { helm: helmVersion } = (
      await import('../../scripts/local-env/versions.js')
    ).readVersions();
    assert.match(helm.stdout, new RegExp(`^${helmVersion.replace(/\./g, '\\.')}`));
    const list = await runTool(env().helm, ['list', '--all-namespaces', '-o', 'json']);
    assert.deepEqual(JSON.parse(list.stdout), []);
  });
});
