import { strict as assert } from 'node:assert';
import { autonomyOf, decide } from '../../../src/authz/decisions.js';
import { parseReview } from '../../../src/authz/subject-access-review.js';
import { responseFor, thresholdsOf } from '../../../src/behavior/response.js';
import { policy } from '../fixtures.js';

const autonomy = autonomyOf([
  policy('a', { autonomy: { minConfidence: 0.7, alwaysRequireApproval: ['refund'] } }),
  policy('b', { autonomy: { minConfidence: 0.8, belowMinConfidence: 'Deny' } }),
]);
const calm = { contained: undefined, level: 'None' as const, risk: 0 };

describe('autonomy decisions', function () {
  const cases: [string, Parameters<typeof decide>[0], Parameters<typeof decide>[2], string][] = [
    ['a confident action', { action: 'read', confidence: 0.9 }, calm, 'allow'],
    [
      'an action below the strictest minimum confidence',
      { action: 'read', confidence: 0.75 },
      calm,
      'deny',
    ],
    [
      'an action that always needs approval',
      { action: 'refund', confidence: 1 },
      calm,
      'require-approval',
    ],
    [
      'any action of a restricted agent',
      { action: 'read', confidence: 1 },
      { ...calm, level: 'Restrict', risk: 0.6 },
      'require-approval',
    ],
    [
      'any action of a quarantined agent',
      { action: 'read', confidence: 1 },
      { ...calm, contained: 'Quarantined' },
      'deny',
    ],
  ];
  for (const [what, request, state, expected] of cases) {
    it(`answers ${expected} for ${what}`, function () {
      assert.equal(decide(request, autonomy, state).decision, expected);
    });
  }
});

describe('response thresholds', function () {
  it('takes the strictest threshold of each level across policies', function () {
    const thresholds = thresholdsOf([
      policy('a', { behavior: { thresholds: { alert: 0.4, quarantine: 0.9 } } }),
      policy('b', { behavior: { thresholds: { alert: 0.3, restrict: 0.6 } } }),
    ]);
    assert.deepEqual(thresholds, { alert: 0.3, restrict: 0.6, quarantine: 0.9 });
    assert.equal(responseFor(0.2, thresholds), 'None');
    assert.equal(responseFor(0.35, thresholds), 'Alert');
    assert.equal(responseFor(0.7, thresholds), 'Restrict');
    assert.equal(responseFor(0.95, thresholds), 'Quarantine');
  });
});

describe('SubjectAccessReview parsing', function () {
  it('takes only agent ServiceAccounts, by the agent- prefix', function () {
    const review = (user: string): Parameters<typeof parseReview>[0] => ({
      spec: { user, resourceAttributes: { verb: 'list', resource: 'secrets', namespace: 'x' } },
    });
    assert.equal(
      parseReview(review('system:serviceaccount:x:agent-bot'), 'agent-').kind,
      'resource',
    );
    assert.equal(
      parseReview(review('system:serviceaccount:x:default'), 'agent-').kind,
      'not-an-agent',
    );
    assert.equal(parseReview(review('alice'), 'agent-').kind, 'not-an-agent');
    assert.equal(
      parseReview(
        {
          spec: {
            user: 'system:serviceaccount:x:agent-bot',
            nonResourceAttributes: { path: '/api' },
          },
        },
        'agent-',
      ).kind,
      'non-resource',
    );
  });
});
