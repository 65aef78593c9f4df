import { strict as assert } from 'node:assert';
import { alreadyApplied } from '../../../src/runtime/apply.js';

describe('alreadyApplied', function () {
  const desired = { metadata: { name: 'x', labels: { a: '1' } }, rules: [{ verbs: ['get'] }] };

  it('accepts extra fields the server or other managers added', function () {
    const live = {
      metadata: { name: 'x', labels: { a: '1', b: '2' }, uid: 'u', resourceVersion: '7' },
      rules: [{ verbs: ['get'], apiGroups: [''] }],
    };
    assert.ok(alreadyApplied(desired, live));
  });

  it('sees a changed value', function () {
    assert.ok(
      !alreadyApplied(desired, {
        metadata: { name: 'x', labels: { a: '2' } },
        rules: [{ verbs: ['get'] }],
      }),
    );
  });

  it('sees an item added to a list by hand', function () {
    const live = {
      metadata: { name: 'x', labels: { a: '1' } },
      rules: [{ verbs: ['get'] }, { verbs: ['list'] }],
    };
    assert.ok(!alreadyApplied(desired, live));
  });

  it('sees a missing object', function () {
    assert.ok(!alreadyApplied(desired, undefined));
  });
});
