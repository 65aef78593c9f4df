import { strict as assert } from 'node:assert';
import { childNames } from '../../../src/controllers/agent-identity/names.js';
import {
  planNetwork,
  workloadSelector,
} from '../../../src/controllers/agent-identity/network-policy.js';
import { identity, policy } from '../fixtures.js';

const dns = { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } };
const https = policy('https', {
  network: {
    egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] }],
  },
});

describe('NetworkPolicy planning', function () {
  const agent = identity('bot');
  const names = childNames(agent);

  it('selects only the agent pods, never everything', function () {
    assert.deepEqual(workloadSelector(agent), { matchLabels: { 'agentidentity.io/agent': 'bot' } });
    const empty = identity('bot', { workloadSelector: {} });
    assert.deepEqual(workloadSelector(empty), { matchLabels: { 'agentidentity.io/agent': 'bot' } });
  });

  it('denies both directions by default and opens DNS plus what policies allow', function () {
    const plan = planNetwork(agent, names, [https], dns, false);
    assert.deepEqual(plan.deny.spec.policyTypes, ['Ingress', 'Egress']);
    assert.equal(plan.deny.spec.egress, undefined);
    assert.equal(plan.allow?.spec.egress?.length, 2);
    assert.equal(plan.allow?.spec.egress?.[0]?.ports?.[0]?.port, 53);
    assert.equal(plan.allow?.spec.ingress, undefined);
  });

  it('closes DNS when any policy turns it off', function () {
    const noDns = policy('no-dns', { network: { allowDNS: false } });
    const plan = planNetwork(agent, names, [https, noDns], dns, false);
    assert.equal(plan.allow?.spec.egress?.length, 1);
  });

  it('leaves only the deny for a contained agent', function () {
    const plan = planNetwork(agent, names, [https], dns, true);
    assert.equal(plan.allow, undefined);
    assert.equal(plan.deny.metadata?.name, 'aio-bot-default-deny');
  });
});
