import { strict as assert } from 'node:assert';
import { WorkQueue, backoffDelay } from '../../../src/runtime/work-queue.js';

const tick = async (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('work queue', function () {
  it('holds a repeated key once', async function () {
    const queue = new WorkQueue();
    queue.add('a');
    queue.add('a');
    queue.add('b');
    assert.equal(queue.length, 2);
    assert.equal(await queue.get(), 'a');
    assert.equal(await queue.get(), 'b');
  });

  it('never hands out a key that is being processed, and re-queues it after done', async function () {
    const queue = new WorkQueue();
    queue.add('a');
    const key = await queue.get();
    queue.add('a');
    assert.equal(queue.length, 0, 'a is in flight, not queued twice');
    queue.done(key ?? '');
    assert.equal(queue.length, 1);
  });

  it('hands a key added later to a waiting worker', async function () {
    const queue = new WorkQueue();
    const next = queue.get();
    queue.add('late');
    assert.equal(await next, 'late');
  });

  it('delays a key and keeps the earliest of two delays', async function () {
    const queue = new WorkQueue();
    queue.addAfter('a', 200);
    queue.addAfter('a', 10);
    assert.equal(queue.delayed, 1);
    await tick(40);
    assert.equal(queue.length, 1);
  });

  it('backs off per key and resets on forget', function () {
    const queue = new WorkQueue({ baseMs: 100, maxMs: 1000, random: () => 1 });
    assert.equal(queue.addRateLimited('a'), 100);
    assert.equal(queue.addRateLimited('a'), 200);
    assert.equal(queue.addRateLimited('b'), 100);
    queue.forget('a');
    assert.equal(queue.addRateLimited('a'), 100);
    queue.shutDown();
  });

  it('resolves waiting workers with undefined on shutdown', async function () {
    const queue = new WorkQueue();
    const next = queue.get();
    queue.shutDown();
    assert.equal(await next, undefined);
  });
});

describe('backoff', function () {
  it('doubles up to the cap and spreads over the upper half', function () {
    const policy = { baseMs: 100, maxMs: 1000 };
    assert.equal(backoffDelay(0, { ...policy, random: () => 0 }), 50);
    assert.equal(backoffDelay(0, { ...policy, random: () => 1 }), 100);
    assert.equal(backoffDelay(3, { ...policy, random: () => 1 }), 800);
    assert.equal(backoffDelay(10, { ...policy, random: () => 1 }), 1000);
  });
});
