import { strict as assert } from 'node:assert';
import { decideLifecycle } from '../../../src/controllers/agent-identity/lifecycle.js';
import { identity } from '../fixtures.js';

const now = new Date('2026-06-01T12:00:00Z');

describe('lifecycle decisions', function () {
  const cases: [string, Parameters<typeof identity>[1], string, number | undefined][] = [
    ['an active agent', {}, 'None', undefined],
    ['a suspended agent', { lifecycle: { suspended: true } }, 'Suspended', undefined],
    [
      'an expired agent',
      { lifecycle: { expiresAt: '2026-06-01T11:00:00Z' } },
      'Expired',
      undefined,
    ],
    [
      'an expired agent that is also unsuspended',
      { lifecycle: { expiresAt: '2026-06-01T11:00:00Z', suspended: false } },
      'Expired',
      undefined,
    ],
    [
      'an agent expiring in an hour',
      { lifecycle: { expiresAt: '2026-06-01T13:00:00Z' } },
      'None',
      3_600_000,
    ],
  ];
  for (const [what, spec, containment, expiresInMs] of cases) {
    it(`treats ${what} as ${containment}`, function () {
      const decision = decideLifecycle(identity('bot', spec), now);
      assert.equal(decision.containment, containment);
      assert.equal(decision.expiresInMs, expiresInMs);
    });
  }
});
