import { strict as assert } from 'node:assert';
import { AgentIndex } from '../../../src/behavior/agent-index.js';
import type { Observation } from '../../../src/behavior/observation.js';
import { fromAuditEvent, fromVaultAudit } from '../../../src/behavior/sources.js';
import { ActivityWindow } from '../../../src/behavior/window.js';
import { releaseRequest } from '../../../src/controllers/behavior/release.js';
import type { AgentIdentity } from '../../../src/api/resources.js';

const seen = (at: number, verb = 'get'): Observation => ({
  agent: 'team-a/reader',
  at,
  source: 'api',
  verb,
  resource: 'configmaps',
  outcome: 'ok',
});

describe('the activity window', function () {
  it('puts a late event into its own, earlier bucket without splitting the newest one', function () {
    const window = new ActivityWindow(1000, 10_000);
    window.add(seen(5_100), true);
    window.add(seen(4_900, 'list'), true); // an audit batch arriving late
    window.add(seen(5_200), true);
    const closed = window.closedBuckets(6_000);
    assert.deepEqual(
      closed.map((b) => [b.start, b.requests]),
      [
        [4_000, 1],
        [5_000, 2],
      ],
    );
    assert.equal(window.summary(6_000).requests, 3);
  });
});

describe('audit and Vault entries as observations', function () {
  const index = new AgentIndex();
  index.set('team-a/reader', { namespace: 'team-a', name: 'agent-reader' }, 'entity-1');

  it('takes the time of an event with an unparseable or future timestamp as now', function () {
    const before = Date.now();
    for (const stageTimestamp of ['not a time', '2999-01-01T00:00:00Z']) {
      const observation = fromAuditEvent(
        {
          stage: 'ResponseComplete',
          verb: 'list',
          user: { username: 'system:serviceaccount:team-a:agent-reader' },
          objectRef: { resource: 'configmaps', namespace: 'team-a' },
          stageTimestamp,
        },
        index,
      );
      assert.ok(observation && observation.at >= before && observation.at <= Date.now());
    }
    const vault = fromVaultAudit(
      {
        type: 'response',
        time: 'yesterday',
        auth: { entity_id: 'entity-1' },
        request: { path: 'x' },
      },
      index,
    );
    assert.ok(vault && Number.isFinite(vault.at));
  });

  it('drops events of users that are not agents', function () {
    const observation = fromAuditEvent(
      {
        stage: 'ResponseComplete',
        verb: 'list',
        user: { username: 'alice' },
        objectRef: { resource: 'secrets' },
      },
      index,
    );
    assert.equal(observation, undefined);
  });
});

describe('input the operator does not control', function () {
  const index = new AgentIndex();
  index.set('team-a/reader', { namespace: 'team-a', name: 'agent-reader' }, 'entity-1');

  it('ignores Vault audit lines that are JSON but not entries', function () {
    for (const line of [null, 42, 'text', [], { type: 'response', request: null }])
      assert.equal(fromVaultAudit(line, index), undefined);
  });

  it('takes audit events with fields of the wrong type without throwing', function () {
    const odd = {
      stage: 'ResponseComplete',
      verb: 7,
      user: { username: 'system:serviceaccount:team-a:agent-reader' },
      objectRef: { resource: 'configmaps', namespace: { toString: 1 } },
      responseStatus: { code: 'x' },
    } as unknown as Parameters<typeof fromAuditEvent>[0];
    const observation = fromAuditEvent(odd, index);
    assert.equal(observation?.resource, 'configmaps');
    assert.equal(observation?.namespace, undefined);
  });

  it('reads a release annotation as status records it: trimmed, cut, never blank', function () {
    const withValue = (value: string): AgentIdentity =>
      ({
        metadata: { annotations: { 'agentidentity.io/release-quarantine': value } },
      }) as unknown as AgentIdentity;
    assert.equal(releaseRequest(withValue('  alice  ')), 'alice');
    assert.equal(releaseRequest(withValue('   ')), undefined);
    assert.equal(releaseRequest(withValue('x'.repeat(400)))?.length, 253);
    assert.equal(releaseRequest(undefined), undefined);
  });
});
