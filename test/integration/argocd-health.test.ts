import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { AgentIdentity } from '../../src/api/resources.js';
import { repoRoot } from '../../scripts/local-env/versions.js';
import { env } from './fixture.js';
import { createTestNamespace, deleteTestNamespace } from './helpers.js';
import { startOperator, type OperatorProcess } from './operator-process.js';
import { condition, createIdentity, createPolicy, isActive, waitForIdentity } from './resources.js';
import { adminKubeConfig } from './helpers.js';
import * as k8s from '@kubernetes/client-node';

const healthDir = join(repoRoot, 'deploy', 'argocd', 'health');

/** Runs a shipped health script under real Lua 5.1 against an object the operator produced. */
async function health(
  kind: 'AgentIdentity' | 'AgentPolicy',
  object: unknown,
): Promise<{ status: string; message: string }> {
  const python = join(env().tools.venvDir, 'bin', 'python');
  const script = join(healthDir, `agentidentity.io_${kind}.lua`);
  return new Promise((resolve, reject) => {
    const child = execFile(
      python,
      [join(repoRoot, 'test', 'integration', 'argocd', 'run-health.py'), script],
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as { status: string; message: string });
      },
    );
    child.stdin?.end(JSON.stringify(object));
  });
}

describe('Argo CD health checks (Lua 5.1) on objects the operator produced', function () {
  this.timeout(60_000);
  let operator: OperatorProcess;
  let namespace: string;

  before(async function () {
    operator = startOperator(['--no-leader-elect', '--allowed-cluster-roles', 'view']);
    await operator.waitForLog(/caches synced/);
    namespace = await createTestNamespace('argo');
  });

  after(async function () {
    await operator.stop();
    await deleteTestNamespace(namespace);
  });

  it('reports a new agent as Progressing until the operator has reconciled it', async function () {
    const created = await createIdentity(namespace, 'fresh', { owner: 'o', purpose: 'p' });
    assert.equal((await health('AgentIdentity', created)).status, 'Progressing');
    const stale: AgentIdentity = {
      ...created,
      metadata: { ...created.metadata, generation: 5 },
      status: { observedGeneration: 4, phase: 'Active' },
    };
    assert.equal((await health('AgentIdentity', stale)).status, 'Progressing');
  });

  it('reports an Active agent as Healthy', async function () {
    await createPolicy(namespace, 'reader', {
      kubernetes: { rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] },
    });
    await createIdentity(namespace, 'fine', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'reader' }],
    });
    const identity = await waitForIdentity(namespace, 'fine', 'Active', isActive);
    assert.deepEqual(await health('AgentIdentity', identity), {
      status: 'Healthy',
      message: 'the agent identity is in place',
    });
  });

  it('reports a suspended and an expired agent as Suspended', async function () {
    await createIdentity(namespace, 'paused', {
      owner: 'o',
      purpose: 'p',
      lifecycle: { suspended: true },
    });
    await createIdentity(namespace, 'over', {
      owner: 'o',
      purpose: 'p',
      lifecycle: { expiresAt: '2020-01-01T00:00:00Z' },
    });
    const paused = await waitForIdentity(
      namespace,
      'paused',
      'Suspended',
      (i) => i.status?.phase === 'Suspended',
    );
    const over = await waitForIdentity(
      namespace,
      'over',
      'Expired',
      (i) => i.status?.phase === 'Expired',
    );
    assert.deepEqual(await health('AgentIdentity', paused), {
      status: 'Suspended',
      message: 'The agent is suspended',
    });
    assert.deepEqual(await health('AgentIdentity', over), {
      status: 'Suspended',
      message: 'The agent is expired',
    });
  });

  it('reports an agent that cannot be put in place as Degraded, naming the failing condition', async function () {
    await createIdentity(namespace, 'broken', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'missing' }],
    });
    const broken = await waitForIdentity(
      namespace,
      'broken',
      'PolicyNotFound',
      (i) => condition(i, 'RBACReady')?.reason === 'PolicyNotFound',
    );
    const result = await health('AgentIdentity', broken);
    assert.equal(result.status, 'Degraded');
    assert.match(result.message, /^RBACReady PolicyNotFound: AgentPolicy "missing" not found/);
  });

  it('reports a policy Healthy when it can be honoured and Degraded when it cannot', async function () {
    await createPolicy(namespace, 'viewer', { kubernetes: { clusterRoles: ['view'] } });
    await createPolicy(namespace, 'admin', { kubernetes: { clusterRoles: ['admin'] } });
    const objects = adminKubeConfig().makeApiClient(k8s.CustomObjectsApi);
    const read = async (name: string): Promise<{ status?: { observedGeneration?: number } }> =>
      (await objects.getNamespacedCustomObject({
        group: 'agentidentity.io',
        version: 'v1alpha1',
        namespace,
        plural: 'agentpolicies',
        name,
      })) as {
        status?: { observedGeneration?: number };
      };
    const reconciled = async (name: string): Promise<unknown> => {
      for (let i = 0; i < 100; i++) {
        const policy = await read(name);
        if (policy.status?.observedGeneration) return policy;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`policy ${name} was not reconciled`);
    };
    assert.equal((await health('AgentPolicy', await reconciled('viewer'))).status, 'Healthy');
    const admin = await health('AgentPolicy', await reconciled('admin'));
    assert.equal(admin.status, 'Degraded');
    assert.match(admin.message, /"admin" is not on the operator's allow-list/);
  });
});
