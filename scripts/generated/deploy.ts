import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../local-env/versions.js';

const run = promisify(execFile);

export const DEPLOY_NAMESPACE = 'agent-identity-system';

/**
 * The plain manifest for `kubectl apply -f crds/ && kubectl apply -f deploy/...`: the chart
 * rendered with its default values (CRDs left to crds/), with the namespace first.
 */
export async function renderDeployManifest(helm: string): Promise<string> {
  const { stdout } = await run(helm, [
    'template',
    'agent-identity-operator',
    join(repoRoot, 'charts', 'agent-identity-operator'),
    '--namespace',
    DEPLOY_NAMESPACE,
    '--skip-crds',
  ]);
  return (
    '# Generated from charts/agent-identity-operator (default values) by `npm run generate`.\n' +
    '# Apply crds/ first: kubectl apply --server-side -f crds/ && kubectl apply -f deploy/agent-identity-operator.yaml\n' +
    `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${DEPLOY_NAMESPACE}\n` +
    stdout
  );
}
