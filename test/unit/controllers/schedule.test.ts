import { strict as assert } from 'node:assert';
import type { CredentialSpec, CredentialStatus } from '../../../src/api/agent-identity.js';
import {
  credentialDefaults,
  generateCredential,
} from '../../../src/controllers/agent-identity/credentials/generate.js';
import {
  decideRotation,
  gracePeriodMs,
  nextRotationAt,
  rotationJitterMs,
} from '../../../src/controllers/agent-identity/credentials/schedule.js';

const spec: CredentialSpec = { name: 'key', rotation: { interval: '24h', gracePeriod: '1h' } };
const now = Date.parse('2026-06-01T12:00:00Z');
const at = (offsetMs: number): string => new Date(now + offsetMs).toISOString();
const status = (overrides: Partial<CredentialStatus> = {}): CredentialStatus => ({
  name: 'key',
  currentVersion: 3,
  rotatedAt: at(-3_600_000),
  nextRotationAt: at(20 * 3_600_000),
  ...overrides,
});

describe('rotation schedule', function () {
  const cases: [string, CredentialStatus | undefined, boolean, string | undefined][] = [
    ['a credential never written', undefined, false, 'Initial'],
    ['a credential not yet due', status(), false, undefined],
    [
      'a credential past its next rotation',
      status({ nextRotationAt: at(-1000) }),
      false,
      'Scheduled',
    ],
    ['a credential whose rotation was requested', status(), true, 'Requested'],
  ];
  for (const [what, current, requested, expected] of cases) {
    it(`decides ${expected ?? 'nothing'} for ${what}`, function () {
      assert.equal(decideRotation(spec, current, requested, now).rotate, expected);
    });
  }

  it('retires the previous version once its grace period is over, not before', function () {
    assert.equal(
      decideRotation(spec, status({ previousRetiresAt: at(1000) }), false, now).retirePrevious,
      false,
    );
    assert.equal(
      decideRotation(spec, status({ previousRetiresAt: at(-1) }), false, now).retirePrevious,
      true,
    );
  });

  it('wakes up for whichever comes first: the grace period end or the next rotation', function () {
    const decision = decideRotation(spec, status({ previousRetiresAt: at(60_000) }), false, now);
    assert.equal(decision.nextCheckAt, now + 60_000);
  });

  it('defaults the grace period to a tenth of the interval, at most a day', function () {
    assert.equal(gracePeriodMs({ name: 'k', rotation: { interval: '10h' } }), 3_600_000);
    assert.equal(gracePeriodMs({ name: 'k', rotation: { interval: '720h' } }), 24 * 3_600_000);
  });

  it('spreads rotations by a stable jitter of at most 5% of the interval (15 minutes at most)', function () {
    const interval = 24 * 3_600_000;
    const a = rotationJitterMs('ns/a/uid/key/1', interval);
    assert.equal(
      rotationJitterMs('ns/a/uid/key/1', interval),
      a,
      'the same seed gives the same time',
    );
    assert.notEqual(rotationJitterMs('ns/b/uid/key/1', interval), a);
    assert.ok(a >= 0 && a <= 15 * 60_000);
    const next = nextRotationAt('seed', spec, now);
    assert.ok(next >= now + interval && next <= now + interval + 15 * 60_000);
  });
});

describe('credential generation', function () {
  it('draws the declared length from the declared alphabet', function () {
    assert.match(generateCredential({ ...spec, length: 64, alphabet: 'Hex' }), /^[0-9a-f]{64}$/);
    assert.match(
      generateCredential({ ...spec, length: 20, alphabet: 'Base64Url' }),
      /^[A-Za-z0-9_-]{20}$/,
    );
  });

  it('defaults to 48 alphanumeric characters for an API key and 32 printable ones for a password', function () {
    assert.deepEqual(credentialDefaults(spec), {
      type: 'ApiKey',
      length: 48,
      alphabet: 'Alphanumeric',
    });
    assert.deepEqual(credentialDefaults({ ...spec, type: 'Password' }), {
      type: 'Password',
      length: 32,
      alphabet: 'Printable',
    });
  });

  it('never repeats a value and uses the whole alphabet', function () {
    const values = new Set(
      Array.from({ length: 200 }, () =>
        generateCredential({ ...spec, length: 32, alphabet: 'Hex' }),
      ),
    );
    assert.equal(values.size, 200);
    const seen = new Set([...values].join(''));
    assert.equal(seen.size, 16);
  });
});
