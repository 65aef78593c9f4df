import { strict as assert } from 'node:assert';
import { env } from './fixture.js';
import { createTestNamespace, deleteTestNamespace } from './helpers.js';
import { startOperator, type OperatorProcess } from './operator-process.js';
import { createIdentity, createPolicy, isActive, waitForIdentity } from './resources.js';

const reader = {
  kubernetes: { rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get' as const] }] },
};

describe('operator resilience', function () {
  let namespace: string;
  const operators: OperatorProcess[] = [];

  beforeEach(async function () {
    namespace = await createTestNamespace('res');
  });

  afterEach(async function () {
    await Promise.all(operators.splice(0).map(async (o) => o.stop()));
    await deleteTestNamespace(namespace);
  });

  it('keeps watching through an API server restart and reconciles what changed meanwhile', async function () {
    this.timeout(120_000);
    const operator = startOperator(['--no-leader-elect']);
    operators.push(operator);
    await operator.waitForLog(/caches synced/);
    await createPolicy(namespace, 'reader', reader);
    await createIdentity(namespace, 'before', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'reader' }],
    });
    await waitForIdentity(namespace, 'before', 'Active', isActive);

    await env().kube.stopApiServer();
    await operator.waitForLog(/watch failed; restarting/);
    await env().kube.startApiServer();
    // Created as soon as the API server is back, before the operator's watches have
    // reconnected (they back off): the relist or the resumed watch must pick it up.
    await createIdentity(namespace, 'after', {
      owner: 'o',
      purpose: 'p',
      policyRefs: [{ name: 'reader' }],
    });
    await waitForIdentity(namespace, 'after', 'Active', isActive, 60_000);
    assert.ok(operator.process.exitCode === null, 'the operator kept running');
  });

  it('lets only the leader reconcile, and the standby takes over when the leader dies', async function () {
    this.timeout(120_000);
    const leaseNamespace = await createTestNamespace('lease');
    try {
      const args = [
        '--namespace',
        leaseNamespace,
        '--lease-duration',
        '4s',
        '--renew-deadline',
        '3s',
        '--retry-period',
        '500ms',
      ];
      const first = startOperator(args);
      operators.push(first);
      await first.waitForLog(/became leader/);
      const second = startOperator(args);
      operators.push(second);
      await second.waitForLog(/waiting for leadership/);

      await createPolicy(namespace, 'reader', reader);
      await createIdentity(namespace, 'led', {
        owner: 'o',
        purpose: 'p',
        policyRefs: [{ name: 'reader' }],
      });
      await waitForIdentity(namespace, 'led', 'Active', isActive);
      assert.ok(
        first.logs().some((l) => l.includes('"name":"led"')),
        'the leader reconciled',
      );
      assert.ok(!second.logs().some((l) => l.includes('"name":"led"')), 'the standby reconciled');
      assert.ok(!second.logs().some((l) => l.includes('became leader')));

      await first.kill();
      await second.waitForLog(/became leader/, 20_000);
      await createIdentity(namespace, 'after-failover', {
        owner: 'o',
        purpose: 'p',
        policyRefs: [{ name: 'reader' }],
      });
      await waitForIdentity(namespace, 'after-failover', 'Active', isActive);

      // A graceful stop hands the lease over at once instead of waiting for it to expire.
      const third = startOperator(args);
      operators.push(third);
      await third.waitForLog(/waiting for leadership/);
      const stoppedAt = Date.now();
      assert.equal(await second.stop(), 0);
      await third.waitForLog(/became leader/, 10_000);
      assert.ok(Date.now() - stoppedAt < 3_500, 'the lease was released, not left to expire');
    } finally {
      await deleteTestNamespace(leaseNamespace);
    }
  });
});
