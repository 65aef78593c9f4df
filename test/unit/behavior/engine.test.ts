import { strict as assert } from 'node:assert';
import { capabilitiesOf } from '../../../src/behavior/capabilities.js';
import { BehaviorEngine, type BehaviorSnapshot } from '../../../src/behavior/engine.js';
import { resourceName, type ResourceRequest } from '../../../src/behavior/observation.js';
import { policy } from '../fixtures.js';

const reader = policy('reader', {
  kubernetes: {
    rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list'] }],
  },
  behavior: { limits: { forbiddenVerbs: ['delete'], requestsPerMinute: 200 } },
});
const list = (resource: string, namespace = 'team-a'): ResourceRequest => ({
  verb: 'list',
  group: '',
  resource,
  subresource: '',
  namespace,
  name: '',
});

function engineAt(clock: { now: number }): {
  engine: BehaviorEngine;
  responses: BehaviorSnapshot[];
} {
  const responses: BehaviorSnapshot[] = [];
  const engine = new BehaviorEngine({
    bucketMs: 1000,
    spanMs: 5000,
    evaluateEveryMs: 100,
    now: () => clock.now,
    onResponse: (snapshot) => responses.push(snapshot),
    onEvaluated: () => undefined,
  });
  engine.setProfile({
    key: 'team-a/bot',
    capabilities: capabilitiesOf('team-a', [reader], []),
    thresholds: { alert: 0.3, restrict: 0.5, quarantine: 0.7 },
    learningWindowMs: 4000,
    contained: undefined,
    baseline: undefined,
  });
  return { engine, responses };
}

/**
 * A real request, as the API server handles it: the authorization webhook is asked, then
 * the audit webhook reports what happened.
 */
function act(
  engine: BehaviorEngine,
  clock: { now: number },
  request: ResourceRequest,
): ReturnType<BehaviorEngine['authorize']> {
  const verdict = engine.authorize('team-a/bot', request);
  engine.observe({
    agent: 'team-a/bot',
    at: clock.now,
    source: 'api',
    verb: request.verb,
    resource: resourceName(request),
    ...(request.namespace ? { namespace: request.namespace } : {}),
    outcome: verdict.allow === 'deny' ? 'denied' : 'ok',
    request,
  });
  return verdict;
}

/** Normal work: one configmap list per 100 ms for `ms`. */
function learn(engine: BehaviorEngine, clock: { now: number }, ms: number): void {
  for (let t = 0; t < ms; t += 100) {
    clock.now += 100;
    assert.deepEqual(act(engine, clock, list('configmaps')), { allow: 'no-opinion' });
    engine.evaluateDirty();
  }
}

describe('behaviour engine', function () {
  it('answers no opinion within the declared capabilities, so RBAC still decides', function () {
    const clock = { now: 1_000_000 };
    const { engine } = engineAt(clock);
    assert.deepEqual(engine.authorize('team-a/bot', list('secrets')), { allow: 'no-opinion' });
    assert.deepEqual(engine.authorize('unknown/agent', list('secrets')), { allow: 'no-opinion' });
  });

  it('denies a forbidden verb at once and quarantines when the audit log confirms it', function () {
    const clock = { now: 1_000_000 };
    const { engine, responses } = engineAt(clock);
    const verdict = act(engine, clock, { ...list('configmaps'), verb: 'delete' });
    assert.equal(verdict.allow, 'deny');
    assert.equal(responses.at(-1)?.level, 'Quarantine', 'a hard limit is risk 1');
    assert.match(
      responses.at(-1)?.assessment.evidence[0] ?? '',
      /hard limit crossed: the verb delete is forbidden/,
    );
  });

  it('quarantines past the hard rate ceiling, counted from the audit log', function () {
    const clock = { now: 1_000_000 };
    const { engine, responses } = engineAt(clock);
    let denied = 0;
    for (let i = 0; i < 220; i++)
      if (act(engine, clock, list('configmaps')).allow === 'deny') denied++;
    assert.equal(denied, 19, 'the 201st request quarantines; the ones after it are denied');
    assert.equal(responses.at(-1)?.level, 'Quarantine');
    assert.match(
      responses.at(-1)?.assessment.evidence[0] ?? '',
      /more than 200 requests per minute/,
    );
  });

  it('is not moved by access reviews: a question about a forbidden verb only holds the agent briefly', function () {
    const clock = { now: 1_000_000 };
    const { engine, responses } = engineAt(clock);
    // A SubjectAccessReview reaches the webhook like a request, but no audit event follows.
    for (let i = 0; i < 300; i++)
      assert.equal(
        engine.authorize('team-a/bot', { ...list('configmaps'), verb: 'delete' }).allow,
        'deny',
      );
    engine.evaluateDirty();
    assert.equal(responses.length, 0, 'no response to questions');
    assert.match(
      (engine.authorize('team-a/bot', list('configmaps')) as { reason: string }).reason,
      /held after a request crossing a hard limit/,
    );
    clock.now += 5_001;
    assert.deepEqual(engine.authorize('team-a/bot', list('configmaps')), { allow: 'no-opinion' });
    // Asking again right away does not renew the hold: holds are rationed (one per 30 s).
    engine.authorize('team-a/bot', { ...list('configmaps'), verb: 'delete' });
    assert.deepEqual(engine.authorize('team-a/bot', list('configmaps')), { allow: 'no-opinion' });
    clock.now += 30_000;
    engine.authorize('team-a/bot', { ...list('configmaps'), verb: 'delete' });
    assert.equal(engine.authorize('team-a/bot', list('configmaps')).allow, 'deny');
    clock.now += 5_001;
    // A LocalSubjectAccessReview in another namespace (where the agent has no bindings) does
    // not even hold it.
    engine.authorize('team-a/bot', { ...list('configmaps', 'elsewhere'), verb: 'delete' });
    assert.deepEqual(engine.authorize('team-a/bot', list('configmaps')), { allow: 'no-opinion' });
  });

  it('keeps a quarantine when a profile from an older cache says nothing about it', function () {
    const clock = { now: 1_000_000 };
    const { engine } = engineAt(clock);
    act(engine, clock, { ...list('configmaps'), verb: 'delete' });
    engine.setProfile({
      key: 'team-a/bot',
      capabilities: capabilitiesOf('team-a', [reader], []),
      thresholds: {},
      learningWindowMs: 4000,
      contained: undefined,
      baseline: undefined,
    });
    assert.equal(engine.authorize('team-a/bot', list('configmaps')).allow, 'deny');
  });

  it('learns a baseline, then quarantines requests outside its namespace, and the next request is denied', function () {
    const clock = { now: 1_000_000 };
    const { engine, responses } = engineAt(clock);
    learn(engine, clock, 6000);
    assert.ok(engine.snapshot('team-a/bot')?.baselineReady);
    assert.equal(responses.length, 0, 'normal work raised nothing');

    let quarantinedAfter = 0;
    for (let i = 1; i <= 10 && !quarantinedAfter; i++) {
      clock.now += 10;
      assert.equal(act(engine, clock, list('secrets', `victim-${String(i)}`)).allow, 'deny');
      if (engine.snapshot('team-a/bot')?.level === 'Quarantine') quarantinedAfter = i;
    }
    assert.ok(quarantinedAfter > 0 && quarantinedAfter <= 10);
    const next = engine.authorize('team-a/bot', list('configmaps'));
    assert.deepEqual(next, { allow: 'deny', reason: 'the agent is quarantined' });
    assert.match(
      responses.at(-1)?.assessment.evidence.join(' ') ?? '',
      /outside its declared capabilities/,
    );
  });

  it('keeps a quarantine until it is released, then starts from a clean window', function () {
    const clock = { now: 1_000_000 };
    const { engine } = engineAt(clock);
    act(engine, clock, { ...list('configmaps'), verb: 'delete' });
    clock.now += 60_000;
    engine.evaluateDirty();
    assert.equal(engine.authorize('team-a/bot', list('configmaps')).allow, 'deny');
    engine.release('team-a/bot');
    assert.equal(engine.authorize('team-a/bot', list('configmaps')).allow, 'no-opinion');
  });

  it('scores a rate far above the baseline even within the capabilities', function () {
    const clock = { now: 1_000_000 };
    const { engine, responses } = engineAt(clock);
    learn(engine, clock, 6000);
    for (let i = 0; i < 60; i++) {
      clock.now += 5;
      act(engine, clock, list('configmaps'));
    }
    engine.evaluateDirty();
    const last = responses.at(-1);
    assert.ok(last && last.level !== 'None', 'no response to a burst');
    assert.match(last.assessment.evidence.join(' '), /request rate .* its baseline/);
  });
});
