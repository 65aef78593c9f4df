import { strict as assert } from 'node:assert';
import {
  boundedName,
  childNames,
  labelValue,
} from '../../../src/controllers/agent-identity/names.js';
import { identity } from '../fixtures.js';

describe('child names', function () {
  it('prefixes the ServiceAccount with agent-, always, so a and agent-a never share one', function () {
    assert.equal(childNames(identity('billing')).serviceAccount, 'agent-billing');
    assert.equal(childNames(identity('agent-billing')).serviceAccount, 'agent-agent-billing');
  });

  it('gives a long name a label value no other agent name can have', function () {
    const long = 'x'.repeat(80);
    const value = labelValue(long);
    assert.ok(value.length <= 63);
    assert.match(value, /^x+_[0-9a-f]{8}$/);
    assert.equal(labelValue('short-name'), 'short-name');
  });

  it('uses spec.serviceAccount.name when given', function () {
    const named = identity('billing', { serviceAccount: { name: 'agent-custom' } });
    assert.equal(childNames(named).serviceAccount, 'agent-custom');
  });

  it('keeps names that fit and are valid unchanged', function () {
    assert.equal(boundedName('aio-short'), 'aio-short');
  });

  const cases: [string, number][] = [
    ['a'.repeat(300), 253],
    [`${'b'.repeat(250)}-default-deny`, 253],
  ];
  for (const [base, max] of cases) {
    it(`shortens a ${String(base.length)}-character name to at most ${String(max)} with a hash`, function () {
      const name = boundedName(base, max);
      assert.ok(name.length <= max);
      assert.match(name, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      assert.match(name, /-[0-9a-f]{8}$/);
    });
  }

  it('never gives two long names that share a prefix the same short name', function () {
    const prefix = 'x'.repeat(260);
    assert.notEqual(boundedName(`${prefix}-one`), boundedName(`${prefix}-two`));
    assert.notEqual(labelValue(`${'y'.repeat(70)}a`), labelValue(`${'y'.repeat(70)}b`));
  });

  it('makes a valid name from characters a name may not hold', function () {
    const name = boundedName('aio-bot-cr-system:aggregate-to-view');
    assert.match(name, /^aio-bot-cr-system-aggregate-to-view-[0-9a-f]{8}$/);
  });
});
