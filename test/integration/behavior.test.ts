import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { createAgentWebhookFiles } from '../../scripts/local-env/agent-webhooks.js';
import { freePort } from '../../scripts/local-env/ports.js';
import { kubernetesLogin, readStatusWith, serviceAccountToken } from './backends.js';
import { env } from './fixture.js';
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
  getIdentity,
  isActive,
  waitForIdentity,
} from './resources.js';
import { ensureVaultTokenReviewer } from './vault-reviewer.js';

/** A client for the cluster that authenticates as an agent with its ServiceAccount token. */
function asAgent(token: string): k8s.CoreV1Api {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'local',
        server: env().kube.server,
        caData: Buffer.from(env().kube.servingCaPem).toString('base64'),
      },
    ],
    users: [{ name: 'agent', token }],
    contexts: [{ name: 'agent', cluster: 'local', user: 'agent' }],
    currentContext: 'agent',
  });
  return kc.makeApiClient(k8s.CoreV1Api);
}

async function status(call: () => Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call();
    return { code: 200, message: '' };
  } catch (error) {
    if (error instanceof k8s.ApiException) return { code: error.code, message: String(error.body) };
    throw error;
  }
}

async function decision(
  port: number,
  token: string | undefined,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ code: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/decisions',
        method: 'POST',
        rejectUnauthorized: false,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          resolve({
            code: res.statusCode ?? 0,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const pause = async (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

describe('behavioural monitoring and containment on the real control plane', function () {
  this.timeout(240_000);
  let operator: OperatorProcess;
  let namespace: string;
  let other: string;
  let webhookPort: number;

  before(async function () {
    const reviewer = await ensureVaultTokenReviewer();
    namespace = await createTestNamespace('beh');
    other = await createTestNamespace('beh-other');
    webhookPort = await freePort();
    const vaultAuditPort = await freePort();
    const dir = join(env().stateDir, 'agent-webhooks');
    mkdirSync(dir, { recursive: true });
    const files = await createAgentWebhookFiles(dir, webhookPort);
    operator = startOperator([
      '--no-leader-elect',
      '--vault-token-reviewer',
      reviewer,
      ...files.operatorArgs,
      '--vault-audit-address',
      `127.0.0.1:${String(vaultAuditPort)}`,
      '--behavior-bucket',
      '2s',
      '--behavior-window',
      '10s',
      '--behavior-evaluate-every',
      '100ms',
      '--behavior-status-interval',
      '1s',
    ]);
    await operator.waitForLog(/serving the authorization and audit webhooks/);
    await env().kube.stopApiServer();
    await env().kube.startApiServer(files.apiServer);
    // OpenBao's audit devices are declarative: the socket device feeding the operator is
    // added to its configuration and the server reloads it.
    await env().openbao?.configureAudit(`127.0.0.1:${String(vaultAuditPort)}`);
  });

  afterEach(function () {
    // The operator's own account of a failure is what explains it.
    if (this.currentTest?.state === 'failed')
      console.log(
        operator
          .logs()
          .filter((l) => /"level":"(warn|error)"/.test(l))
          .slice(-30)
          .join('\n'),
      );
  });

  after(async function () {
    await env().openbao?.configureAudit(undefined);
    await env().kube.stopApiServer();
    await env().kube.startApiServer({});
    await operator.stop();
    await deleteTestNamespace(namespace);
    await deleteTestNamespace(other);
  });

  it('learns a baseline, quarantines an agent that turns anomalous, and only a person releases it', async function () {
    await createPolicy(namespace, 'reader', {
      kubernetes: {
        rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list'] }],
      },
      behavior: {
        learningWindow: '8s',
        thresholds: { alert: 0.3, restrict: 0.5, quarantine: 0.7 },
      },
      autonomy: {
        minConfidence: 0.8,
        belowMinConfidence: 'RequireApproval',
        alwaysRequireApproval: ['payments.refund'],
      },
    });
    for (const name of ['rogue', 'steady']) {
      await createIdentity(namespace, name, {
        owner: 'o',
        purpose: 'reads its own configuration',
        policyRefs: [{ name: 'reader' }],
        credentials: [{ name: 'key', rotation: { interval: '1h' } }],
      });
      await waitForIdentity(
        namespace,
        name,
        'Active',
        (i) => isActive(i) && (i.status?.credentials?.length ?? 0) === 1,
      );
    }
    const rogue = asAgent(await serviceAccountToken(namespace, 'agent-rogue'));
    const steady = asAgent(await serviceAccountToken(namespace, 'agent-steady'));
    const vaultLogin = await kubernetesLogin(
      `agent.${namespace}.rogue`,
      await serviceAccountToken(namespace, 'agent-rogue'),
    );
    assert.ok(vaultLogin.token);

    // Normal work while the baseline is learned: rogue reads ConfigMaps slowly, steady lists
    // Secrets of its own namespace briskly.
    const normal = async (until: () => Promise<boolean>): Promise<void> => {
      while (!(await until())) {
        await rogue.listNamespacedConfigMap({ namespace });
        for (let i = 0; i < 4; i++) await steady.listNamespacedSecret({ namespace });
        await readStatusWith(vaultLogin.token ?? '', `agents/${namespace}/rogue/key`);
        await pause(250);
      }
    };
    await normal(async () => {
      const [r, s] = await Promise.all([
        getIdentity(namespace, 'rogue'),
        getIdentity(namespace, 'steady'),
      ]);
      return (
        r.status?.behavior?.baselineReady === true && s.status?.behavior?.baselineReady === true
      );
    });

    const annotateRelease = async (value: string): Promise<void> => {
      await adminKubeConfig()
        .makeApiClient(k8s.CustomObjectsApi)
        .patchNamespacedCustomObject(
          {
            group: 'agentidentity.io',
            version: 'v1alpha1',
            namespace,
            plural: 'agentidentities',
            name: 'rogue',
            body: { metadata: { annotations: { 'agentidentity.io/release-quarantine': value } } },
          },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        );
    };
    // A release annotation left over (say, in Git) before the quarantine releases nothing,
    // even one longer than status records.
    const leftover = `left-in-git ${'x'.repeat(300)}`;
    await annotateRelease(leftover);

    // The anomaly: rogue lists Secrets across namespaces, far faster than its baseline.
    const anomaly = Date.now();
    let firstDenied = 0;
    for (let i = 0; i < 40 && !firstDenied; i++) {
      const target = i % 2 === 0 ? other : 'default';
      const result = await status(() => rogue.listNamespacedSecret({ namespace: target }));
      assert.equal(result.code, 403);
      const next = await status(() => rogue.listNamespacedConfigMap({ namespace }));
      if (next.code === 403) {
        assert.match(next.message, /quarantined/);
        firstDenied = Date.now();
      }
    }
    assert.ok(firstDenied, 'the agent was never quarantined');

    const quarantined = await waitForIdentity(
      namespace,
      'rogue',
      'Quarantined',
      // The phase can turn before the quarantine's record lands: both are awaited.
      (i) => i.status?.phase === 'Quarantined' && i.status.quarantine?.since !== undefined,
      10_000,
    );
    assert.ok(quarantined.status?.quarantine?.since);
    assert.ok((quarantined.status?.quarantine?.risk ?? 0) >= 0.7);
    assert.match(
      (quarantined.status?.quarantine?.evidence ?? []).join(' '),
      /outside its declared capabilities/,
    );
    assert.equal(condition(quarantined, 'Quarantined')?.status, 'True');
    assert.equal(quarantined.status?.quarantine?.handledRelease, leftover.slice(0, 253));
    assert.deepEqual(quarantined.status?.owned?.roleBindings, []);
    assert.equal(
      await readStatusWith(vaultLogin.token ?? '', `agents/${namespace}/rogue/key`),
      403,
      'its Vault token stopped working',
    );
    assert.ok(
      (
        await kubernetesLogin(
          `agent.${namespace}.rogue`,
          await serviceAccountToken(namespace, 'agent-rogue'),
        )
      ).status,
    );
    const events = await adminKubeConfig()
      .makeApiClient(k8s.CoreV1Api)
      .listNamespacedEvent({ namespace });
    assert.ok(
      events.items.some((e) => e.reason === 'RiskQuarantine' && e.involvedObject.name === 'rogue'),
    );
    console.log(
      `      quarantine: first denied request ${String(firstDenied - anomaly)} ms after the anomaly began`,
    );

    // The other agent, doing what it always did, and a human user are unaffected.
    for (let i = 0; i < 10; i++)
      assert.equal((await status(() => steady.listNamespacedSecret({ namespace }))).code, 200);
    assert.equal((await getIdentity(namespace, 'steady')).status?.phase, 'Active');
    assert.equal(
      (
        await status(() =>
          adminKubeConfig().makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace }),
        )
      ).code,
      200,
    );

    // Still quarantined a while later: the operator never lifts it by itself.
    await pause(3000);
    assert.equal((await status(() => rogue.listNamespacedConfigMap({ namespace }))).code, 403);

    // A person releases it.
    await annotateRelease('alice@example.com');
    const released = await waitForIdentity(
      namespace,
      'rogue',
      'released',
      (i) => isActive(i) && i.status?.quarantine?.releasedBy === 'alice@example.com',
    );
    assert.equal(condition(released, 'Quarantined')?.reason, 'Released');
    await eventually('the agent to work again', async () =>
      (await status(() => rogue.listNamespacedConfigMap({ namespace }))).code === 200
        ? true
        : undefined,
    );
    const again = await kubernetesLogin(
      `agent.${namespace}.rogue`,
      await serviceAccountToken(namespace, 'agent-rogue'),
    );
    assert.ok(again.token, 'Vault login works again');
  });

  it('is not moved by access reviews about an agent: asking is not acting', async function () {
    await createPolicy(namespace, 'no-deletes', {
      kubernetes: {
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      },
      behavior: {
        limits: { forbiddenVerbs: ['delete'] },
        thresholds: { quarantine: 0.9 },
      },
    });
    await createIdentity(namespace, 'asked', {
      owner: 'o',
      purpose: 'is asked about',
      policyRefs: [{ name: 'no-deletes' }],
    });
    await waitForIdentity(namespace, 'asked', 'Active', isActive);
    const agent = asAgent(await serviceAccountToken(namespace, 'agent-asked'));
    assert.equal((await status(() => agent.listNamespacedConfigMap({ namespace }))).code, 200);

    // SubjectAccessReviews reach the authorization webhook exactly like requests.
    const reviews = adminKubeConfig().makeApiClient(k8s.AuthorizationV1Api);
    const user = `system:serviceaccount:${namespace}:agent-asked`;
    for (let i = 0; i < 20; i++) {
      const review = await reviews.createSubjectAccessReview({
        body: {
          spec: {
            user,
            groups: ['system:serviceaccounts'],
            resourceAttributes: { namespace, verb: 'delete', resource: 'configmaps' },
          },
        },
      });
      assert.equal(review.status?.allowed, false);
    }
    const local = await reviews.createNamespacedLocalSubjectAccessReview({
      namespace: other,
      body: {
        metadata: { namespace: other },
        spec: { user, resourceAttributes: { namespace: other, verb: 'delete', resource: 'pods' } },
      },
    });
    assert.equal(local.status?.allowed, false);

    // At most a short hold (while the audit log is awaited), never a quarantine.
    await pause(6000);
    assert.equal((await status(() => agent.listNamespacedConfigMap({ namespace }))).code, 200);
    const asked = await getIdentity(namespace, 'asked');
    assert.equal(asked.status?.phase, 'Active');
    assert.equal(asked.status.quarantine, undefined);
  });

  it('answers the decision API for the calling agent only, from its policy and its risk', async function () {
    const token = await serviceAccountToken(namespace, 'agent-steady');
    const ask = async (
      body: object,
      as = token,
    ): Promise<{ code: number; body: Record<string, unknown> }> =>
      decision(webhookPort, as, JSON.stringify(body));
    assert.deepEqual(
      (await ask({ action: 'invoice.read', confidence: 0.95 })).body.decision,
      'allow',
    );
    const low = await ask({ action: 'invoice.read', confidence: 0.5 });
    assert.equal(low.body.decision, 'require-approval');
    assert.match(String(low.body.reason), /below the policy minimum of 0.8/);
    assert.equal(
      (await ask({ action: 'payments.refund', confidence: 0.99 })).body.decision,
      'require-approval',
    );

    assert.equal(
      (await decision(webhookPort, undefined, '{"action":"x","confidence":1}')).code,
      401,
    );
    // Validated as written: no coercion of types, no silently dropped fields.
    for (const bad of [
      { action: 'x', confidence: true },
      { action: 'x', confidence: '0.9' },
      { action: 'x', confidence: [0.9] },
      { action: 'x', confidence: 0.9, unexpected: 1 },
    ])
      assert.equal((await ask(bad)).code, 400, JSON.stringify(bad));
    assert.equal(
      (await decision(webhookPort, 'not-a-token', '{"action":"x","confidence":1}')).code,
      401,
    );
    assert.equal((await decision(webhookPort, token, '{not json')).code, 400);
    assert.equal(
      (await decision(webhookPort, token, JSON.stringify({ action: 'x', confidence: 7 }))).code,
      400,
    );
    assert.equal(
      (
        await decision(
          webhookPort,
          token,
          JSON.stringify({ action: 'x'.repeat(20_000), confidence: 1 }),
        )
      ).code,
      413,
    );
    assert.equal(
      (await decision(webhookPort, token, 'a=1', { 'content-type': 'text/plain' })).code,
      415,
    );
    assert.equal(
      (await ask({ action: 'x', confidence: 1, agent: `${namespace}/rogue` })).code,
      403,
      'an agent asked for another',
    );
    const reviewerToken = await serviceAccountToken(
      'agent-identity-system',
      'aio-vault-token-reviewer',
    );
    assert.equal(
      (await ask({ action: 'x', confidence: 1 }, reviewerToken)).code,
      403,
      'a non-agent ServiceAccount',
    );
  });

  it('refuses the API server webhooks to callers without the client certificate', async function () {
    const result = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: webhookPort,
          path: '/authorize',
          method: 'POST',
          rejectUnauthorized: false,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ spec: { user: `system:serviceaccount:${namespace}:agent-rogue` } }));
    });
    assert.equal(result, 401);
  });
});
