import { Type, type Static } from '@sinclair/typebox';
import {
  DnsSubdomain,
  IntOrString,
  StringEnum,
  StringMap,
  Timestamp,
  cel,
} from './schema-helpers.js';

export const LabelSelectorSchema = Type.Object(
  {
    matchLabels: Type.Optional(StringMap()),
    matchExpressions: Type.Optional(
      Type.Array(
        Type.Object({
          key: Type.String({ minLength: 1, maxLength: 317 }),
          operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
          values: Type.Optional(Type.Array(Type.String({ maxLength: 63 }), { maxItems: 64 })),
        }),
        { maxItems: 16 },
      ),
    ),
  },
  { 'x-kubernetes-map-type': 'atomic' },
);
export type LabelSelector = Static<typeof LabelSelectorSchema>;

/** A standard Kubernetes condition (metav1.Condition). */
export const ConditionSchema = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 316 }),
  status: StringEnum(['True', 'False', 'Unknown']),
  reason: Type.String({
    minLength: 1,
    maxLength: 1024,
    pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
  }),
  message: Type.String({ maxLength: 32768 }),
  lastTransitionTime: Timestamp(),
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type Condition = Static<typeof ConditionSchema>;

export const ConditionsSchema = Type.Array(ConditionSchema, {
  maxItems: 32,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});

const noWildcard = (field: string, what: string): { rule: string; message: string } => ({
  rule: `!has(self.${field}) || !self.${field}.exists(x, x == '*')`,
  message: `wildcard ${what} are not allowed in an AgentPolicy; list exactly what the agent needs`,
});

/** A namespaced RBAC rule. Wildcards are refused: an agent gets only what is written. */
export const PolicyRuleSchema = Type.Object(
  {
    apiGroups: Type.Array(Type.String({ maxLength: 253 }), { minItems: 1, maxItems: 32 }),
    resources: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
      minItems: 1,
      maxItems: 64,
    }),
    verbs: Type.Array(
      StringEnum([
        'get',
        'list',
        'watch',
        'create',
        'update',
        'patch',
        'delete',
        'deletecollection',
      ]),
      { minItems: 1, maxItems: 8 },
    ),
    resourceNames: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 64 }),
    ),
  },
  cel(noWildcard('apiGroups', 'API groups'), noWildcard('resources', 'resources')),
);
export type PolicyRule = Static<typeof PolicyRuleSchema>;

export const NetworkPeerSchema = Type.Object(
  {
    ipBlock: Type.Optional(
      Type.Object({
        cidr: Type.String({ minLength: 1, maxLength: 64 }),
        except: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32 })),
      }),
    ),
    namespaceSelector: Type.Optional(LabelSelectorSchema),
    podSelector: Type.Optional(LabelSelectorSchema),
  },
  cel(
    {
      rule: 'has(self.ipBlock) != (has(self.namespaceSelector) || has(self.podSelector))',
      message: 'a peer is either an ipBlock or namespace and pod selectors, exactly one of the two',
    },
    {
      rule: '!has(self.ipBlock) || isCIDR(self.ipBlock.cidr)',
      message: 'ipBlock.cidr must be a CIDR such as 10.0.0.0/8',
    },
  ),
);
export type NetworkPeer = Static<typeof NetworkPeerSchema>;

export const NetworkPortSchema = Type.Object({
  protocol: Type.Optional(StringEnum(['TCP', 'UDP', 'SCTP'])),
  port: Type.Optional(IntOrString()),
  endPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
});
export type NetworkPort = Static<typeof NetworkPortSchema>;

/** A reference to an object by name in the same namespace. */
export const LocalReferenceSchema = Type.Object({ name: DnsSubdomain() });
export type LocalReference = Static<typeof LocalReferenceSchema>;
