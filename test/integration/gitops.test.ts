import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import * as k8s from '@kubernetes/client-node';
import { repoRoot } from '../../scripts/local-env/versions.js';
import { env } from './fixture.js';
import { adminKubeConfig, deleteTestNamespace, runTool } from './helpers.js';
import { startOperator, type OperatorProcess } from './operator-process.js';
import { getIdentity, isActive, waitForIdentity } from './resources.js';

const run = promisify(execFile);
const teams = join(repoRoot, 'examples', 'gitops', 'teams');
const waves = ['namespace.yaml', 'policies.yaml', 'agents.yaml'];

interface Manifest {
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: unknown;
}

function manifests(team: string): Manifest[] {
  return waves.map(
    (file) => load(readFileSync(join(teams, team, 'manifests', file), 'utf8')) as Manifest,
  );
}

/** `kubectl diff`: exit 0 when the cluster matches the files, 1 when it differs. */
async function diff(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run('kubectl', ['diff', ...args], {
      env: { ...process.env, ...env().processEnv() },
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('GitOps: the examples sync cleanly and never show a perpetual diff', function () {
  this.timeout(120_000);
  let operator: OperatorProcess;
  const files = (team: string): string[] =>
    waves.flatMap((f) => ['-f', join(teams, team, 'manifests', f)]);

  before(async function () {
    operator = startOperator(['--no-leader-elect', '--allowed-cluster-roles', 'view']);
    await operator.waitForLog(/caches synced/);
  });

  after(async function () {
    await operator.stop();
    await deleteTestNamespace('gitops-billing');
    await deleteTestNamespace('gitops-support');
  });

  it('applies the billing team server-side twice (as Argo CD does) and the support team client-side', async function () {
    for (let i = 0; i < 2; i++) {
      for (const file of waves) {
        await runTool('kubectl', [
          'apply',
          '--server-side',
          '--field-manager=argocd-controller',
          '-f',
          join(teams, 'billing', 'manifests', file),
        ]);
      }
    }
    for (const file of waves)
      await runTool('kubectl', ['apply', '-f', join(teams, 'support', 'manifests', file)]);
    await waitForIdentity('gitops-billing', 'invoice-reconciler', 'Active', isActive);
    await waitForIdentity('gitops-support', 'support-triage', 'Active', isActive);
  });

  it('shows no diff after the operator reconciled, server-side or client-side', async function () {
    const serverSide = await diff([
      '--server-side',
      '--field-manager=argocd-controller',
      ...files('billing'),
    ]);
    assert.equal(serverSide.code, 0, `server-side diff:\n${serverSide.output}`);
    const clientSide = await diff(files('support'));
    assert.equal(clientSide.code, 0, `client-side diff:\n${clientSide.output}`);
  });

  it('leaves spec, labels and annotations of the user objects exactly as written', async function () {
    for (const [team, namespace, name] of [
      ['billing', 'gitops-billing', 'invoice-reconciler'],
      ['support', 'gitops-support', 'support-triage'],
    ] as const) {
      const written = manifests(team).find((m) => m.kind === 'AgentIdentity');
      const live = await getIdentity(namespace, name);
      assert.deepEqual(live.spec, written?.spec, `${name}: spec changed`);
      for (const [key, value] of Object.entries(written?.metadata.labels ?? {})) {
        assert.equal(live.metadata.labels?.[key], value);
      }
      const liveAnnotations = Object.keys(live.metadata.annotations ?? {}).filter(
        (k) => k !== 'kubectl.kubernetes.io/last-applied-configuration',
      );
      assert.deepEqual(
        liveAnnotations.sort(),
        Object.keys(written?.metadata.annotations ?? {}).sort(),
        `${name}: annotations changed`,
      );
    }
  });

  it('does not spread the tracking label to what the operator creates', async function () {
    const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
    const sa = await core.readNamespacedServiceAccount({
      namespace: 'gitops-billing',
      name: 'agent-invoice-reconciler',
    });
    assert.equal(sa.metadata?.labels?.['app.kubernetes.io/instance'], undefined);
    assert.equal(sa.metadata?.annotations?.['argocd.argoproj.io/sync-wave'], undefined);
  });
});
