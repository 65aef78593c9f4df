import { Type, type Static, type TArray, type TString } from '@sinclair/typebox';
import { ConditionsSchema, LabelSelectorSchema, LocalReferenceSchema } from './common.js';
import {
  DnsLabel,
  DnsSubdomain,
  Duration,
  MapList,
  NonBlankString,
  StringEnum,
  Timestamp,
  cel,
} from './schema-helpers.js';

export const CREDENTIAL_TYPES = ['ApiKey', 'Password'] as const;
export const ALPHABETS = ['Alphanumeric', 'Hex', 'Base64Url', 'Printable'] as const;
export const STORES = ['Vault', 'AWSSecretsManager', 'Both'] as const;

const RotationSchema = Type.Object(
  {
    interval: Duration({ description: 'How often a new version is generated, e.g. 720h.' }),
    gracePeriod: Type.Optional(
      Duration({ description: 'How long the previous version stays readable after a rotation.' }),
    ),
  },
  cel(
    {
      rule: "duration(self.interval) >= duration('10s')",
      message: 'rotation.interval must be at least 10s',
      fieldPath: '.interval',
    },
    {
      rule: '!has(self.gracePeriod) || duration(self.gracePeriod) < duration(self.interval)',
      message: 'rotation.gracePeriod must be shorter than rotation.interval',
      fieldPath: '.gracePeriod',
    },
  ),
);

const CredentialSchema = Type.Object(
  {
    name: DnsLabel({ description: 'Unique within the identity; part of the secret path.' }),
    type: Type.Optional(StringEnum(CREDENTIAL_TYPES)),
    length: Type.Optional(Type.Integer({ minimum: 16, maximum: 512 })),
    alphabet: Type.Optional(StringEnum(ALPHABETS)),
    rotation: RotationSchema,
    store: Type.Optional(StringEnum(STORES)),
    kubernetesSecret: Type.Optional(
      Type.Object({
        name: Type.Optional(DnsSubdomain({ description: 'Defaults to <agent>-<credential>.' })),
      }),
    ),
    rolloutRestartTargets: Type.Optional(
      Type.Array(
        Type.Object({ kind: StringEnum(['Deployment', 'StatefulSet']), name: DnsSubdomain() }),
        { maxItems: 16 },
      ),
    ),
  },
  cel({
    rule: "!has(self.type) || self.type != 'Password' || !has(self.length) || self.length <= 128",
    message: 'a Password credential is at most 128 characters long',
  }),
);

const LifecycleSchema = Type.Object({
  suspended: Type.Optional(
    Type.Boolean({ description: 'Removes bindings, denies traffic and disables Vault access.' }),
  ),
  expiresAt: Type.Optional(
    Timestamp({
      description:
        'When the agent loses its bindings and traffic and its credentials and Vault identity are removed.',
    }),
  ),
  review: Type.Optional(
    Type.Object(
      {
        interval: Duration(),
        onOverdue: Type.Optional(StringEnum(['Notify', 'Suspend'])),
      },
      cel({
        rule: "duration(self.interval) >= duration('1h')",
        message: 'review.interval must be at least 1h',
      }),
    ),
  ),
});

export const AgentIdentitySpecSchema = Type.Object({
  owner: NonBlankString({ maxLength: 253, description: 'The accountable human or team.' }),
  purpose: NonBlankString({
    maxLength: 1024,
    description: 'The declared intent; used in audit records and behavioural checks.',
  }),
  policyRefs: Type.Optional(MapList(LocalReferenceSchema, 'name', { maxItems: 32 })),
  serviceAccount: Type.Optional(
    Type.Object({
      name: Type.Optional(
        DnsSubdomain({
          description:
            "Defaults to the agent's name with the agent- prefix added when it is missing.",
          ...cel({
            rule: "self.startsWith('agent-')",
            message:
              'serviceAccount.name must start with agent- so the API server can tell agent identities apart',
          }),
        }),
      ),
      automountToken: Type.Optional(Type.Boolean({ description: 'False when left out.' })),
    }),
  ),
  workloadSelector: Type.Optional(LabelSelectorSchema),
  credentials: Type.Optional(MapList(CredentialSchema, 'name', { maxItems: 16 })),
  lifecycle: Type.Optional(LifecycleSchema),
});
export type AgentIdentitySpec = Static<typeof AgentIdentitySpecSchema>;
export type CredentialSpec = Static<typeof CredentialSchema>;

export const PHASES = [
  'Pending',
  'Active',
  'Suspended',
  'Quarantined',
  'Expired',
  'Terminating',
] as const;
export type Phase = (typeof PHASES)[number];

/** What an agent normally does, learned over its policies' learning window. */
/**
 * Bounds of the behaviour status, as [longest name, most names]. The status writer fits what
 * it writes to them: names come partly from agents, and one too long must not fail a write.
 */
export const BASELINE_BOUNDS = {
  verbs: [64, 32],
  resources: [320, 64],
  namespaces: [63, 64],
  secretPaths: [512, 64],
} as const;
/** Evidence sentences and the quarantine reason: longest text, most sentences. */
export const EVIDENCE_BOUNDS = { length: 1024, behavior: 8, quarantine: 32 } as const;
/** The longest release annotation value status records (`releasedBy`, `handledRelease`). */
export const RELEASE_VALUE_MAX = 253;

const names = ([maxLength, maxItems]: readonly [number, number]): TArray<TString> =>
  Type.Array(Type.String({ maxLength }), { maxItems });
const evidence = (maxItems: number): TArray<TString> =>
  Type.Array(Type.String({ maxLength: EVIDENCE_BOUNDS.length }), { maxItems });

const BaselineSchema = Type.Object({
  learningSince: Type.Optional(Timestamp()),
  /** Minutes with observations so far. */
  minutes: Type.Optional(Type.Integer({ minimum: 0 })),
  rateMean: Type.Optional(Type.Number({ minimum: 0 })),
  rateVariance: Type.Optional(Type.Number({ minimum: 0 })),
  errorRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  denyRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  verbs: Type.Optional(names(BASELINE_BOUNDS.verbs)),
  resources: Type.Optional(names(BASELINE_BOUNDS.resources)),
  namespaces: Type.Optional(names(BASELINE_BOUNDS.namespaces)),
  hours: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 23 }), { maxItems: 24 })),
  secretPaths: Type.Optional(names(BASELINE_BOUNDS.secretPaths)),
});
export type Baseline = Static<typeof BaselineSchema>;

const CredentialStatusSchema = Type.Object({
  name: Type.String({ maxLength: 63 }),
  currentVersion: Type.Optional(
    Type.Integer({ minimum: 0, description: 'Counts rotations: 1 after the first write.' }),
  ),
  rotatedAt: Type.Optional(Timestamp()),
  nextRotationAt: Type.Optional(Timestamp()),
  /** When the previous version stops being readable; absent once it has been retired. */
  previousRetiresAt: Type.Optional(Timestamp()),
  storeVersions: Type.Optional(
    Type.Object({
      vault: Type.Optional(Type.String({ maxLength: 64 })),
      awsSecretsManager: Type.Optional(Type.String({ maxLength: 64 })),
    }),
  ),
  /** The rotation request (annotation value, or its hash) this credential acted on last. */
  handledRequest: Type.Optional(Type.String({ maxLength: 253 })),
  /** Why the current version was written. */
  lastWriteReason: Type.Optional(
    StringEnum(['Initial', 'Scheduled', 'Requested', 'Repaired', 'Adopted']),
  ),
  /** The version whose rollout was last triggered on the rolloutRestartTargets. */
  restartedVersion: Type.Optional(Type.Integer({ minimum: 0 })),
  secretName: Type.Optional(Type.String({ maxLength: 253 })),
  /** The uid of the Secret copy the operator created (deletes are guarded by it). */
  secretUid: Type.Optional(Type.String({ maxLength: 64 })),
  /** The version last written to the Kubernetes Secret copy. */
  secretVersion: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type CredentialStatus = Static<typeof CredentialStatusSchema>;

const OwnedObjectsSchema = Type.Object({
  serviceAccount: Type.Optional(Type.String({ maxLength: 253 })),
  role: Type.Optional(Type.String({ maxLength: 253 })),
  roleBindings: Type.Optional(Type.Array(Type.String({ maxLength: 253 }), { maxItems: 64 })),
  networkPolicies: Type.Optional(Type.Array(Type.String({ maxLength: 253 }), { maxItems: 8 })),
  /** The Vault ACL policy, Kubernetes-auth role and identity entity (one name). */
  vaultIdentity: Type.Optional(Type.String({ maxLength: 512 })),
  vaultEntityId: Type.Optional(Type.String({ maxLength: 64 })),
});

export const AgentIdentityStatusSchema = Type.Object({
  phase: Type.Optional(StringEnum(PHASES)),
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  conditions: Type.Optional(ConditionsSchema),
  owned: Type.Optional(OwnedObjectsSchema),
  credentials: Type.Optional(MapList(CredentialStatusSchema, 'name', { maxItems: 16 })),
  lastRotationAt: Type.Optional(Timestamp()),
  /** The value of the rotate annotation last acted on, so a request rotates once. */
  handledRotationRequest: Type.Optional(Type.String({ maxLength: 253 })),
  /** Set once the agent's backends were removed because it expired. */
  offboardedAt: Type.Optional(Timestamp()),
  behavior: Type.Optional(
    Type.Object({
      baselineReady: Type.Optional(Type.Boolean()),
      /** Requests per minute in the last scored window. */
      requestRate: Type.Optional(Type.Number({ minimum: 0 })),
      riskScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
      evaluatedAt: Type.Optional(Timestamp()),
      /** The strongest evidence behind the risk score, in words. */
      evidence: Type.Optional(evidence(EVIDENCE_BOUNDS.behavior)),
      /** Alert, Restrict or Quarantine while the risk is at or above that threshold. */
      response: Type.Optional(StringEnum(['None', 'Alert', 'Restrict', 'Quarantine'])),
      baseline: Type.Optional(BaselineSchema),
    }),
  ),
  reviewDueAt: Type.Optional(Timestamp()),
  quarantine: Type.Optional(
    Type.Object({
      since: Type.Optional(Timestamp()),
      reason: Type.Optional(Type.String({ maxLength: EVIDENCE_BOUNDS.length })),
      risk: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
      evidence: Type.Optional(evidence(EVIDENCE_BOUNDS.quarantine)),
      releasedBy: Type.Optional(Type.String({ maxLength: RELEASE_VALUE_MAX })),
      releasedAt: Type.Optional(Timestamp()),
      /** The release annotation value acted on, so one release lifts one quarantine. */
      handledRelease: Type.Optional(Type.String({ maxLength: RELEASE_VALUE_MAX })),
    }),
  ),
});
export type AgentIdentityStatus = Static<typeof AgentIdentityStatusSchema>;

/**
 * Rules on the whole AgentIdentity (they can see metadata.name): a workload selector must not
 * pick pods by another agent's label, and must select something when it is given.
 */
export const AGENT_IDENTITY_ROOT_RULES = [
  {
    rule: "!has(self.spec.workloadSelector) || !has(self.spec.workloadSelector.matchExpressions) || !self.spec.workloadSelector.matchExpressions.exists(e, e.key == 'agentidentity.io/agent')",
    message:
      'workloadSelector.matchExpressions must not use the agentidentity.io/agent label; it marks other agents',
  },
  {
    rule: "!has(self.spec.workloadSelector) || !has(self.spec.workloadSelector.matchLabels) || !('agentidentity.io/agent' in self.spec.workloadSelector.matchLabels) || self.spec.workloadSelector.matchLabels['agentidentity.io/agent'] == self.metadata.name",
    message:
      "workloadSelector may use the agentidentity.io/agent label only with this agent's own name",
  },
  {
    rule: '!has(self.spec.workloadSelector) || (has(self.spec.workloadSelector.matchLabels) && size(self.spec.workloadSelector.matchLabels) > 0) || (has(self.spec.workloadSelector.matchExpressions) && size(self.spec.workloadSelector.matchExpressions) > 0)',
    message: 'workloadSelector must select something: leave it out to use the agent label',
  },
];
