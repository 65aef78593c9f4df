import { strict as assert } from 'node:assert';
import * as k8s from '@kubernetes/client-node';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from './helpers.js';

const valid = { owner: 'team-a', purpose: 'summarises tickets' };
const rotation = (interval: string, gracePeriod?: string): object => ({
  interval,
  ...(gracePeriod ? { gracePeriod } : {}),
});

interface BadCase {
  name: string;
  spec: object;
  message: RegExp;
}

const badIdentities: BadCase[] = [
  { name: 'no owner', spec: { purpose: 'x' }, message: /spec\.owner: Required value/ },
  {
    name: 'empty purpose',
    spec: { owner: 'o', purpose: '' },
    message: /spec\.purpose.*at least 1 chars/,
  },
  {
    name: 'a grace period as long as the interval',
    spec: { ...valid, credentials: [{ name: 'key', rotation: rotation('24h', '24h') }] },
    message: /rotation\.gracePeriod must be shorter than rotation\.interval/,
  },
  {
    name: 'a rotation interval below the floor',
    spec: { ...valid, credentials: [{ name: 'key', rotation: rotation('5s') }] },
    message: /rotation\.interval must be at least 10s/,
  },
  {
    name: 'a duration in days, which Go durations do not have',
    spec: { ...valid, credentials: [{ name: 'key', rotation: rotation('30d') }] },
    message: /spec\.credentials\[0\]\.rotation\.interval: Invalid value: "30d"/,
  },
  {
    name: 'a too short credential',
    spec: { ...valid, credentials: [{ name: 'key', length: 8, rotation: rotation('1h') }] },
    message:
      /length: Invalid value: 8: spec\.credentials\[0\]\.length in body should be greater than or equal to 16/,
  },
  {
    name: 'a password over 128 characters',
    spec: {
      ...valid,
      credentials: [{ name: 'pw', type: 'Password', length: 200, rotation: rotation('1h') }],
    },
    message: /a Password credential is at most 128 characters long/,
  },
  {
    name: 'two credentials with one name',
    spec: {
      ...valid,
      credentials: [
        { name: 'key', rotation: rotation('1h') },
        { name: 'key', rotation: rotation('2h') },
      ],
    },
    message: /Duplicate value/,
  },
  {
    name: 'a ServiceAccount name without the agent- prefix',
    spec: { ...valid, serviceAccount: { name: 'billing' } },
    message: /serviceAccount\.name must start with agent-/,
  },
  {
    name: 'an unknown store',
    spec: { ...valid, credentials: [{ name: 'key', store: 'Dropbox', rotation: rotation('1h') }] },
    message: /Unsupported value: "Dropbox"/,
  },
  {
    name: 'a misspelt field',
    spec: { ...valid, ownr: 'x' },
    message: /unknown field "spec\.ownr"/,
  },
];

const rule = (overrides: object): object => ({
  apiGroups: [''],
  resources: ['configmaps'],
  verbs: ['get'],
  ...overrides,
});

const badPolicies: BadCase[] = [
  {
    name: 'a wildcard verb',
    spec: { kubernetes: { rules: [rule({ verbs: ['*'] })] } },
    message: /Unsupported value: "\*"/,
  },
  {
    name: 'a wildcard resource',
    spec: { kubernetes: { rules: [rule({ resources: ['*'] })] } },
    message:
      /wildcard resources \(including subresource wildcards such as \*\/token\) are not allowed/,
  },
  {
    name: 'thresholds out of order',
    spec: { behavior: { thresholds: { alert: 0.9, quarantine: 0.5 } } },
    message: /thresholds must be ordered: alert <= restrict <= quarantine/,
  },
  {
    name: 'a risk threshold of 0, which would act on every agent',
    spec: { behavior: { thresholds: { quarantine: 0 } } },
    message: /a threshold must be above 0/,
  },
  {
    name: 'a wildcard forbidden verb, which would never match',
    spec: { behavior: { limits: { forbiddenVerbs: ['*'] } } },
    message: /forbiddenVerbs\[0\]: Invalid value: "\*"/,
  },
  {
    name: 'a risk threshold above 1',
    spec: { behavior: { thresholds: { quarantine: 1.5 } } },
    message: /should be less than or equal to 1/,
  },
  {
    name: 'a peer with both an ipBlock and a selector',
    spec: { network: { egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] } },
    message: /a peer is either an ipBlock or namespace and pod selectors/,
  },
  {
    name: 'a CIDR that is not one',
    spec: { network: { egress: [{ to: [{ ipBlock: { cidr: '10.0.0.300/8' } }] }] } },
    message: /ipBlock\.cidr must be a CIDR/,
  },
  {
    name: 'a subresource wildcard',
    spec: { kubernetes: { rules: [rule({ resources: ['*/token'] })] } },
    message: /subresource wildcards such as \*\/token/,
  },
  {
    name: 'an endPort without a port',
    spec: { network: { egress: [{ ports: [{ endPort: 80 }] }] } },
    message: /endPort needs a numeric port/,
  },
  {
    name: 'a port out of range',
    spec: { network: { egress: [{ ports: [{ port: 70000 }] }] } },
    message: /port must be a number from 1 to 65535/,
  },
  {
    name: 'a CIDR with host bits',
    spec: { network: { egress: [{ to: [{ ipBlock: { cidr: '10.0.0.1/8' } }] }] } },
    message: /no host bits set/,
  },
  {
    name: 'an except outside the CIDR',
    spec: {
      network: {
        egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['192.168.0.0/16'] } }] }],
      },
    },
    message: /every ipBlock\.except entry must be a CIDR inside ipBlock\.cidr/,
  },
  {
    name: 'In without values',
    spec: {
      network: {
        ingress: [
          { from: [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] } }] },
        ],
      },
    },
    message: /In and NotIn need at least one value/,
  },
  {
    name: 'a Vault path that climbs out with ..',
    spec: { vault: { paths: [{ path: 'secret/../../sys/*', capabilities: ['read'] }] } },
    message: /must not contain \. or \.\. segments/,
  },
  {
    name: 'the sudo capability',
    spec: { vault: { paths: [{ path: 'secret/data/x', capabilities: ['sudo'] }] } },
    message: /Unsupported value: "sudo"/,
  },
];

describe('the API server refuses invalid resources with a clear message', function () {
  let namespace: string;
  const objects = (): k8s.CustomObjectsApi => adminKubeConfig().makeApiClient(k8s.CustomObjectsApi);

  before(async function () {
    namespace = await createTestNamespace('invalid');
  });

  after(async function () {
    await deleteTestNamespace(namespace);
  });

  const refuse = async (
    kind: string,
    plural: string,
    bad: BadCase,
    index: number,
  ): Promise<void> => {
    const create = objects().createNamespacedCustomObject({
      group: 'agentidentity.io',
      version: 'v1alpha1',
      namespace,
      plural,
      fieldValidation: 'Strict',
      body: {
        apiVersion: 'agentidentity.io/v1alpha1',
        kind,
        metadata: { name: `bad-${String(index)}` },
        spec: bad.spec,
      },
    });
    await assert.rejects(create, (error: unknown) => {
      assert.ok(error instanceof k8s.ApiException, `not an API error: ${String(error)}`);
      const body = JSON.parse(String(error.body)) as { message: string };
      assert.match(body.message, bad.message);
      return true;
    });
  };

  badIdentities.forEach((bad, i) => {
    it(`refuses an AgentIdentity with ${bad.name}`, async function () {
      await refuse('AgentIdentity', 'agentidentities', bad, i);
    });
  });

  badPolicies.forEach((bad, i) => {
    it(`refuses an AgentPolicy with ${bad.name}`, async function () {
      await refuse('AgentPolicy', 'agentpolicies', bad, i);
    });
  });

  it('stores nothing from a refused object', async function () {
    const list = (await objects().listNamespacedCustomObject({
      group: 'agentidentity.io',
      version: 'v1alpha1',
      namespace,
      plural: 'agentidentities',
    })) as { items: unknown[] };
    assert.equal(list.items.length, 0);
  });
});
