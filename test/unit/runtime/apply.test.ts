import { strict as assert } from 'node:assert';
import type { KubeObject } from '../../../src/api/object-meta.js';
import { alreadyApplied, normalize } from '../../../src/runtime/apply.js';

type Manifest = KubeObject & Record<string, unknown>;

const owner = {
  apiVersion: 'agentidentity.io/v1alpha1',
  kind: 'AgentIdentity',
  name: 'a',
  uid: 'u1',
  controller: true,
};
const desired: Manifest = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'x', namespace: 'n', labels: { a: '1' }, ownerReferences: [owner] },
  spec: {
    podSelector: { matchLabels: { app: 'bot' } },
    policyTypes: ['Ingress', 'Egress'],
    egress: [
      {
        to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'db' } } }],
        ports: [{ port: 5432 }],
      },
    ],
  },
};
const live = (spec: unknown, metadata: object = {}): Manifest => ({
  ...desired,
  metadata: {
    ...desired.metadata,
    uid: 'x1',
    resourceVersion: '9',
    labels: { a: '1', other: 'y' },
    ...metadata,
  },
  spec,
});

describe('alreadyApplied', function () {
  it('accepts what the server stored: defaults added, empty lists dropped, other labels', function () {
    const stored = {
      podSelector: { matchLabels: { app: 'bot' } },
      policyTypes: ['Ingress', 'Egress'],
      egress: [
        {
          to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'db' } } }],
          ports: [{ protocol: 'TCP', port: 5432 }],
        },
      ],
    };
    assert.ok(alreadyApplied(desired, live(stored)));
  });

  it('sees a field the policy no longer declares (tightening must be applied)', function () {
    const tighter: Manifest = {
      ...desired,
      spec: {
        ...(desired.spec as object),
        egress: [
          { to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432 }] },
        ],
      },
    };
    assert.ok(!alreadyApplied(tighter, live((normalize(desired) as Manifest).spec)));
  });

  it('sees a rule added by hand to a default deny', function () {
    const deny: Manifest = {
      ...desired,
      spec: { podSelector: { matchLabels: { app: 'bot' } }, policyTypes: ['Ingress', 'Egress'] },
    };
    assert.ok(
      !alreadyApplied(deny, live({ ...(deny.spec as object), egress: [{}], ingress: [{}] })),
    );
  });

  it('does not loop on empty lists the API server drops', function () {
    const empty: Manifest = {
      ...desired,
      spec: {
        podSelector: { matchLabels: { app: 'bot' }, matchExpressions: [] },
        policyTypes: ['Ingress', 'Egress'],
        egress: [{ to: [], ports: [] }],
      },
    };
    const stored = {
      podSelector: { matchLabels: { app: 'bot' } },
      policyTypes: ['Ingress', 'Egress'],
      egress: [{}],
    };
    assert.ok(alreadyApplied(empty, live(stored)));
  });

  it('sees a missing owner reference and a missing object', function () {
    assert.ok(
      !alreadyApplied(
        desired,
        live((normalize(desired) as Manifest).spec, { ownerReferences: [] }),
      ),
    );
    assert.ok(!alreadyApplied(desired, undefined));
  });
});
