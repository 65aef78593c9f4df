import { Type, type Static } from '@sinclair/typebox';
import {
  ConditionsSchema,
  NetworkPeerSchema,
  NetworkPortSchema,
  PolicyRuleSchema,
} from './common.js';
import { DnsLabel, DnsSubdomain, Duration, MapList, StringEnum, cel } from './schema-helpers.js';

const VaultPathSchema = Type.Object({
  path: Type.String({
    minLength: 1,
    maxLength: 512,
    pattern: '^[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*(/?\\*)?$',
    description:
      'A Vault path such as `secret/data/team-a/*`: `+` for one segment, `*` only at the end.',
    ...cel({
      rule: "!self.matches('(^|/)[.]{1,2}(/|$)')",
      message: 'a Vault path must not contain . or .. segments',
    }),
  }),
  capabilities: Type.Array(
    StringEnum(['create', 'read', 'update', 'patch', 'delete', 'list', 'deny']),
    { minItems: 1, maxItems: 7, 'x-kubernetes-list-type': 'set' },
  ),
});

const EgressRuleSchema = Type.Object({
  to: Type.Optional(Type.Array(NetworkPeerSchema, { maxItems: 8 })),
  ports: Type.Optional(Type.Array(NetworkPortSchema, { maxItems: 8 })),
});

const IngressRuleSchema = Type.Object({
  from: Type.Optional(Type.Array(NetworkPeerSchema, { maxItems: 8 })),
  ports: Type.Optional(Type.Array(NetworkPortSchema, { maxItems: 8 })),
});

const score = (description: string): ReturnType<typeof Type.Number> =>
  Type.Number({ minimum: 0, maximum: 1, description });

/** A risk threshold: above 0, since a threshold of 0 would act on every agent all the time. */
const threshold = (description: string): ReturnType<typeof Type.Number> =>
  Type.Number({ minimum: 0.01, maximum: 1, description });

const ThresholdsSchema = Type.Object(
  {
    alert: Type.Optional(threshold('Risk at which an Event, a metric and a condition are raised.')),
    restrict: Type.Optional(threshold('Risk at which grants and elevated bindings are removed.')),
    quarantine: Type.Optional(threshold('Risk at which the agent is quarantined.')),
  },
  cel(
    {
      rule:
        '(!has(self.alert) || !has(self.restrict) || self.alert <= self.restrict) && ' +
        '(!has(self.restrict) || !has(self.quarantine) || self.restrict <= self.quarantine) && ' +
        '(!has(self.alert) || !has(self.quarantine) || self.alert <= self.quarantine)',
      message: 'thresholds must be ordered: alert <= restrict <= quarantine',
    },
    {
      // `minimum` alone lets a literal 0 through (the API server compares integers with the
      // minimum truncated to an integer), so the rule says it in CEL as well.
      rule:
        '(!has(self.alert) || self.alert > 0.0) && (!has(self.restrict) || self.restrict > 0.0) && ' +
        '(!has(self.quarantine) || self.quarantine > 0.0)',
      message: 'a threshold must be above 0: a threshold of 0 would act on every agent',
    },
  ),
);

const BehaviorSchema = Type.Object({
  learningWindow: Type.Optional(
    Duration({ description: 'How long a baseline is learned before it is scored against.' }),
  ),
  limits: Type.Optional(
    Type.Object({
      requestsPerMinute: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
      forbiddenVerbs: Type.Optional(
        Type.Array(
          Type.String({
            minLength: 1,
            maxLength: 64,
            pattern: '^[a-z]+$',
            description: 'A Kubernetes verb in lower case, such as delete; no wildcards.',
          }),
          { maxItems: 16 },
        ),
      ),
      forbiddenResources: Type.Optional(
        Type.Array(
          Type.String({
            minLength: 1,
            maxLength: 253,
            pattern: '^([a-z0-9.-]+/)?[a-z0-9-]+(/[a-z0-9-]+)?$',
            description:
              'resource, group/resource, or either with /subresource (pods/exec); a bare resource matches in every group.',
          }),
          { maxItems: 64 },
        ),
      ),
    }),
  ),
  thresholds: Type.Optional(ThresholdsSchema),
});

const AutonomySchema = Type.Object({
  minConfidence: Type.Optional(score('The confidence an autonomous action must carry.')),
  belowMinConfidence: Type.Optional(StringEnum(['Deny', 'RequireApproval'])),
  alwaysRequireApproval: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
      maxItems: 64,
      'x-kubernetes-list-type': 'set',
    }),
  ),
});

const GrantTemplateSchema = Type.Object({
  name: DnsLabel(),
  maxDuration: Duration(),
  rules: Type.Optional(Type.Array(PolicyRuleSchema, { maxItems: 8 })),
  clusterRole: Type.Optional(DnsSubdomain()),
  vaultPaths: Type.Optional(Type.Array(VaultPathSchema, { maxItems: 16 })),
});

export type VaultPath = Static<typeof VaultPathSchema>;

export const AgentPolicySpecSchema = Type.Object({
  description: Type.Optional(Type.String({ maxLength: 1024 })),
  kubernetes: Type.Optional(
    Type.Object({
      rules: Type.Optional(Type.Array(PolicyRuleSchema, { maxItems: 64 })),
      clusterRoles: Type.Optional(
        Type.Array(DnsSubdomain(), {
          maxItems: 16,
          'x-kubernetes-list-type': 'set',
          description:
            'Existing ClusterRoles to bind in the namespace; only those on the operator allow-list are bound.',
        }),
      ),
    }),
  ),
  vault: Type.Optional(
    Type.Object({ paths: Type.Optional(Type.Array(VaultPathSchema, { maxItems: 64 })) }),
  ),
  network: Type.Optional(
    Type.Object({
      allowDNS: Type.Optional(
        Type.Boolean({ description: 'Allow egress to cluster DNS (true when left out).' }),
      ),
      egress: Type.Optional(Type.Array(EgressRuleSchema, { maxItems: 16 })),
      ingress: Type.Optional(Type.Array(IngressRuleSchema, { maxItems: 16 })),
    }),
  ),
  behavior: Type.Optional(BehaviorSchema),
  autonomy: Type.Optional(AutonomySchema),
  grants: Type.Optional(MapList(GrantTemplateSchema, 'name', { maxItems: 8 })),
});
export type AgentPolicySpec = Static<typeof AgentPolicySpecSchema>;

export const AgentPolicyStatusSchema = Type.Object({
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  conditions: Type.Optional(ConditionsSchema),
});
export type AgentPolicyStatus = Static<typeof AgentPolicyStatusSchema>;
