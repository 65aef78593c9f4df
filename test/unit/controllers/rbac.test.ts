import { strict as assert } from 'node:assert';
import { childNames } from '../../../src/controllers/agent-identity/names.js';
import { planRbac, unionRules } from '../../../src/controllers/agent-identity/rbac.js';
import { identity, policy } from '../fixtures.js';

const readConfigMaps = policy('cm', {
  kubernetes: {
    rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
    clusterRoles: ['view', 'admin'],
  },
});
const readSecrets = policy('secrets', {
  kubernetes: { rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] },
});

describe('RBAC planning', function () {
  const agent = identity('bot');
  const names = childNames(agent);

  it('unions the rules of every policy, each distinct rule once', function () {
    const rules = unionRules([readConfigMaps, readSecrets, readConfigMaps]);
    assert.deepEqual(
      rules.map((r) => r.resources[0]),
      ['configmaps', 'secrets'],
    );
  });

  it('binds the agent Role and allow-listed ClusterRoles to the agent ServiceAccount', function () {
    const plan = planRbac(agent, names, [readConfigMaps], new Set(['view']), false);
    assert.equal(plan.role?.metadata?.name, 'aio-bot');
    assert.deepEqual(
      plan.bindings.map((b) => `${b.roleRef.kind}/${b.roleRef.name}`),
      ['Role/aio-bot', 'ClusterRole/view'],
    );
    assert.deepEqual(plan.bindings[0]?.subjects, [
      { kind: 'ServiceAccount', name: 'agent-bot', namespace: 'team-a' },
    ]);
  });

  it('refuses ClusterRoles that are not on the allow-list', function () {
    const plan = planRbac(agent, names, [readConfigMaps], new Set(['view']), false);
    assert.deepEqual(plan.refusedClusterRoles, ['admin']);
  });

  it('gives a contained agent its Role but no bindings', function () {
    const plan = planRbac(agent, names, [readConfigMaps], new Set(['view']), true);
    assert.ok(plan.role);
    assert.deepEqual(plan.bindings, []);
  });

  it('creates no Role when the policies declare no rules', function () {
    const plan = planRbac(agent, names, [], new Set(), false);
    assert.equal(plan.role, undefined);
    assert.deepEqual(plan.bindings, []);
  });

  it('never copies the identity labels onto what it creates', function () {
    const labelled = identity('bot');
    labelled.metadata.labels = { 'argocd.argoproj.io/instance': 'x' };
    const plan = planRbac(labelled, names, [readConfigMaps], new Set(['view']), false);
    assert.equal(plan.role?.metadata?.labels?.['argocd.argoproj.io/instance'], undefined);
  });
});
