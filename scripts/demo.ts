// npm run demo: the operator's main job on a local default. Starts the local control plane
// and OpenBao, installs the CRDs, applies examples/, runs the operator and prints what each
// agent now has. `--once` exits after the summary (used by the tests); otherwise the
// operator keeps running until Ctrl-C.
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import type { AgentIdentity } from '../src/api/resources.js';
import { shellExports, startLocalEnvironment } from './local-env/index.js';
import { installCrds, spawnLocalOperator } from './local-env/operator.js';
import { repoRoot } from './local-env/versions.js';
import { printSummary } from './demo-summary.js';

const once = process.argv.includes('--once');
const run = promisify(execFile);
const say = (line: string): void => {
  process.stderr.write(`[demo] ${line}\n`);
};

const env = await startLocalEnvironment();
const toolEnv = { ...process.env, ...env.processEnv() };
const kubectl = async (...args: string[]): Promise<string> =>
  (await run('kubectl', args, { env: toolEnv })).stdout;

say('installing the CRDs (kubectl apply -f crds/)');
await installCrds(toolEnv, { platform: true });
say('applying the examples (kubectl apply -f examples/)');
await kubectl('apply', '-f', join(repoRoot, 'examples'));

mkdirSync(join(repoRoot, '.local'), { recursive: true });
const operatorLog = join(repoRoot, '.local', 'demo-operator.log');
say(`starting the operator (JSON logs in ${operatorLog})`);
const operator = spawnLocalOperator(
  [
    '--no-leader-elect',
    // The platform's allow-list: agents may be bound to the built-in view ClusterRole.
    '--allowed-cluster-roles',
    'view',
    '--vault-token-reviewer',
    'agent-identity-system/aio-vault-token-reviewer',
  ],
  { env: toolEnv, stdio: ['ignore', 'pipe', 'pipe'] },
);
const log = createWriteStream(operatorLog);
operator.stdout?.pipe(log);
operator.stderr?.pipe(log);
const operatorExited = new Promise<void>((resolve) => {
  operator.once('exit', () => {
    resolve();
  });
});

const stop = async (code: number): Promise<never> => {
  operator.kill('SIGTERM');
  await operatorExited;
  await env.stop();
  say('stopped: the operator, the local servers and their data are gone');
  process.exit(code);
};
process.removeAllListeners('SIGINT');
process.once('SIGINT', () => {
  say('stopping the operator and the local cluster');
  void stop(0);
});

const kc = new k8s.KubeConfig();
kc.loadFromFile(env.kube.kubeconfigPath);
const objects = kc.makeApiClient(k8s.CustomObjectsApi);
const listIdentities = async (): Promise<AgentIdentity[]> =>
  (
    (await objects.listClusterCustomObject({
      group: 'agentidentity.io',
      version: 'v1alpha1',
      plural: 'agentidentities',
    })) as {
      items: AgentIdentity[];
    }
  ).items;

say('waiting for the operator to reconcile every agent');
const deadline = Date.now() + 60_000;
for (;;) {
  const identities = await listIdentities();
  const settled = identities.every((i) => i.status?.observedGeneration === i.metadata.generation);
  if (identities.length > 0 && settled) break;
  if (Date.now() > deadline || operator.exitCode !== null) {
    say(`the operator did not reconcile every agent; see ${operatorLog}`);
    await stop(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
}

await printSummary(kc, await listIdentities());

if (once) await stop(0);
console.log(`Operator logs: ${operatorLog}`);
console.log('\nThe operator keeps running. In another shell, to look around:');
for (const line of shellExports(env)) console.log(`  ${line}`);
console.log('  kubectl describe agentidentity -n team-billing invoice-reconciler');
console.log(
  '  kubectl -n team-billing annotate agentidentity invoice-reconciler agentidentity.io/rotate=now',
);
console.log('  kubectl get agentidentities -A');
console.log(
  '  kubectl -n team-billing create token agent-invoice-reconciler > token && bao write -field=token auth/kubernetes/login role=agent.team-billing.invoice-reconciler jwt=@token',
);
console.log(
  '  kubectl -n team-support patch agentidentity support-triage --type merge -p \'{"spec":{"lifecycle":{"suspended":true}}}\'',
);
console.log('Press Ctrl-C to stop the operator and the local cluster.');
