import { strict as assert } from 'node:assert';
import { TokenBucket } from '../../../src/providers/rate-limiter.js';
import { RateBudget } from '../../../src/runtime/rate-budget.js';

describe('the AWS write limiter', function () {
  it('lets a burst through, then holds calls to the rate', async function () {
    const bucket = new TokenBucket(40, 10);
    const start = Date.now();
    await Promise.all(Array.from({ length: 30 }, async () => bucket.acquire()));
    const elapsed = Date.now() - start;
    // 10 at once, then 20 at 40 per second: about half a second, never a burst of 30.
    assert.ok(elapsed >= 450, `30 writes took only ${String(elapsed)} ms`);
  });
});

describe('the rotation budget', function () {
  it('allows the configured number per second and then asks callers to wait', function () {
    let clock = 0;
    const budget = new RateBudget(5, () => clock);
    const waits = Array.from({ length: 7 }, () => budget.take());
    assert.deepEqual(waits.slice(0, 5), [0, 0, 0, 0, 0]);
    assert.ok((waits[5] ?? 0) > 0 && (waits[6] ?? 0) > 0);
    clock += 1000;
    assert.equal(budget.take(), 0, 'the budget refills');
  });
});
