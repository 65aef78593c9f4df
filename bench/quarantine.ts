// Quarantine benchmark on the real control plane and OpenBao: for each of 10 agents, the
// time from the violating request to (a) the agent's first denied request, and (b) its Vault
// entity disabled, its allow NetworkPolicy gone and its RoleBindings removed (polled every
// 5 ms). The API server sends agent requests to the operator's authorization webhook.
//   npx tsx bench/quarantine.ts
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import vault from 'node-vault';
import { createAgentWebhookFiles } from '../scripts/local-env/agent-webhooks.js';
import { startLocalEnvironment } from '../scripts/local-env/index.js';
import { installCrds, spawnLocalOperator } from '../scripts/local-env/operator.js';
import { freePort } from '../scripts/local-env/ports.js';
import { percentiles } from './lib/stats.js';

const AGENTS = 10;
const env = await startLocalEnvironment();
const toolEnv = { ...process.env, ...env.processEnv() };
const kc = new k8s.KubeConfig();
kc.loadFromFile(env.kube.kubeconfigPath);
const core = kc.makeApiClient(k8s.CoreV1Api);
const objects = kc.makeApiClient(k8s.CustomObjectsApi);
const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
const net = kc.makeApiClient(k8s.NetworkingV1Api);
const bao = vault({
  apiVersion: 'v1',
  endpoint: env.openbao?.address ?? '',
  token: env.openbao?.rootToken ?? '',
});
const exists = async (read: () => Promise<unknown>): Promise<boolean> =>
  read().then(
    () => true,
    () => false,
  );
const pause = async (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

let operator: ChildProcess | undefined;
try {
  await installCrds(toolEnv, { platform: true });
  const port = await freePort();
  const dir = join(env.stateDir, 'webhooks');
  mkdirSync(dir);
  const files = await createAgentWebhookFiles(dir, port);
  const logPath = join(env.stateDir, 'operator.log');
  const log = openSync(logPath, 'w');
  operator = spawnLocalOperator(
    [
      '--no-leader-elect',
      '--vault-token-reviewer',
      'agent-identity-system/aio-vault-token-reviewer',
      ...files.operatorArgs,
      '--behavior-evaluate-every',
      '100ms',
    ],
    { env: toolEnv, stdio: ['ignore', log, log] },
  );
  // The operator's JSON logs go to a file: a failure to start is then shown, not waited on.
  for (;;) {
    const text = readFileSync(logPath, 'utf8');
    if (text.includes('serving the authorization and audit webhooks')) break;
    if (operator.exitCode !== null) throw new Error(`the operator exited:\n${text.slice(-3000)}`);
    await pause(100);
  }
  await env.kube.stopApiServer();
  await env.kube.startApiServer(files.apiServer);

  const namespace = 'bench';
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const create = async (plural: string, body: object): Promise<void> => {
    await objects.createNamespacedCustomObject({
      group: 'agentidentity.io',
      version: 'v1alpha1',
      namespace,
      plural,
      body,
    });
  };
  await create('agentpolicies', {
    apiVersion: 'agentidentity.io/v1alpha1',
    kind: 'AgentPolicy',
    metadata: { name: 'p' },
    spec: {
      kubernetes: { rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }] },
      network: { egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] },
      // Reading Secrets is a hard limit: the first such request quarantines the agent.
      behavior: { thresholds: { quarantine: 0.7 }, limits: { forbiddenResources: ['secrets'] } },
    },
  });
  for (let i = 0; i < AGENTS; i++) {
    await create('agentidentities', {
      apiVersion: 'agentidentity.io/v1alpha1',
      kind: 'AgentIdentity',
      metadata: { name: `a${String(i)}` },
      spec: { owner: 'bench', purpose: 'bench', policyRefs: [{ name: 'p' }] },
    });
  }
  for (let i = 0; i < AGENTS; i++) {
    for (;;) {
      const identity = (await objects.getNamespacedCustomObject({
        group: 'agentidentity.io',
        version: 'v1alpha1',
        namespace,
        plural: 'agentidentities',
        name: `a${String(i)}`,
      })) as { status?: { phase?: string; owned?: { vaultEntityId?: string } } };
      if (identity.status?.phase === 'Active' && identity.status.owned?.vaultEntityId) break;
      await pause(100);
    }
  }

  const firstDenied: number[] = [];
  const requestsAfter: number[] = [];
  const contained: number[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const name = `a${String(i)}`;
    const token =
      (
        await core.createNamespacedServiceAccountToken({
          namespace,
          name: `agent-${name}`,
          body: { spec: { audiences: [] } },
        })
      ).status?.token ?? '';
    const agentKc = new k8s.KubeConfig();
    agentKc.loadFromOptions({
      clusters: [
        {
          name: 'c',
          server: env.kube.server,
          caData: Buffer.from(env.kube.servingCaPem).toString('base64'),
        },
      ],
      users: [{ name: 'u', token }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const asAgent = agentKc.makeApiClient(k8s.CoreV1Api);
    const ok = async (call: () => Promise<unknown>): Promise<boolean> =>
      call().then(
        () => true,
        () => false,
      );
    // One violating request (a forbidden resource, in the agent's own namespace where its
    // bindings could allow it), then ordinary requests until one is denied.
    const violation = performance.now();
    await ok(() => asAgent.listNamespacedSecret({ namespace }));
    let denied = 0;
    let after = 0;
    while (!denied && performance.now() - violation < 5000) {
      after++;
      if (!(await ok(() => asAgent.listNamespacedConfigMap({ namespace }))))
        denied = performance.now();
    }
    if (!denied) throw new Error(`${name} was not contained after ${String(after)} requests`);
    firstDenied.push(denied - violation);
    requestsAfter.push(after);
    for (;;) {
      const [entity, allow, binding] = await Promise.all([
        bao.read(`identity/entity/name/agent.${namespace}.${name}`).then(
          (r: { data: { disabled: boolean } }) => r.data.disabled,
          () => false,
        ),
        exists(() => net.readNamespacedNetworkPolicy({ namespace, name: `aio-${name}-allow` })),
        exists(() => rbac.readNamespacedRoleBinding({ namespace, name: `aio-${name}` })),
      ]);
      if (entity && !allow && !binding) break;
      await pause(5);
    }
    contained.push(performance.now() - violation);
  }
  const a = percentiles(firstDenied);
  const b = percentiles(contained);
  console.log(`Quarantine on the real control plane and OpenBao, ${String(AGENTS)} agents`);
  console.log(
    `  (a) first denied request: the next request in ${String(requestsAfter.filter((n) => n === 1).length)} of ${String(AGENTS)} cases; p50 ${String(a.p50)} ms, p99 ${String(a.p99)} ms after the violating request`,
  );
  console.log(
    `  (b) entity disabled, allow NetworkPolicy gone, bindings removed: p50 ${String(b.p50)} ms, p99 ${String(b.p99)} ms`,
  );
} finally {
  operator?.kill();
  await env.stop();
}
