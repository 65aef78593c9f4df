import { Type, type Static } from '@sinclair/typebox';
import { DnsSubdomain, IntOrString, StringEnum, Timestamp, cel } from './schema-helpers.js';

/**
 * A label key: an optional DNS-subdomain prefix and `/`, then a name of up to 63 characters.
 * Checked on matchExpressions keys; matchLabels keys cannot be checked by a schema pattern
 * and a CEL check over map keys costs more than a CRD's validation budget allows, so an
 * invalid one is refused when the NetworkPolicy is written and reported in NetworkReady.
 */
const LABEL_KEY =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$';

const LabelValueSchema = Type.String({ maxLength: 63, pattern: LABEL_VALUE });

export const LabelSelectorSchema = Type.Object(
  {
    matchLabels: Type.Optional(
      Type.Unsafe<Record<string, string>>({
        type: 'object',
        maxProperties: 32,
        additionalProperties: { type: 'string', maxLength: 63, pattern: LABEL_VALUE },
      }),
    ),
    matchExpressions: Type.Optional(
      Type.Array(
        Type.Object(
          {
            key: Type.String({ minLength: 1, maxLength: 317, pattern: LABEL_KEY }),
            operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
            values: Type.Optional(Type.Array(LabelValueSchema, { maxItems: 64 })),
          },
          cel({
            rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
            message: 'In and NotIn need at least one value; Exists and DoesNotExist take none',
          }),
        ),
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
  rule: `!has(self.${field}) || !self.${field}.exists(x, x.contains('*'))`,
  message: `wildcard ${what} (including subresource wildcards such as */token) are not allowed in an AgentPolicy; list exactly what the agent needs`,
});

/** A namespaced RBAC rule. Wildcards are refused: an agent gets only what is written. */
export const PolicyRuleSchema = Type.Object(
  {
    apiGroups: Type.Array(Type.String({ maxLength: 253 }), { minItems: 1, maxItems: 16 }),
    resources: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
      minItems: 1,
      maxItems: 32,
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
        except: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 8 })),
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
    {
      rule: '!has(self.ipBlock) || !isCIDR(self.ipBlock.cidr) || cidr(self.ipBlock.cidr).ip() == cidr(self.ipBlock.cidr).masked().ip()',
      message: 'ipBlock.cidr must be a network address with no host bits set, such as 10.0.0.0/8',
    },
    {
      rule: '!has(self.ipBlock) || !has(self.ipBlock.except) || !isCIDR(self.ipBlock.cidr) || self.ipBlock.except.all(e, isCIDR(e) && cidr(self.ipBlock.cidr).containsCIDR(e))',
      message: 'every ipBlock.except entry must be a CIDR inside ipBlock.cidr',
    },
  ),
);
export type NetworkPeer = Static<typeof NetworkPeerSchema>;

export const NetworkPortSchema = Type.Object(
  {
    protocol: Type.Optional(StringEnum(['TCP', 'UDP', 'SCTP'])),
    port: Type.Optional(IntOrString()),
    endPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  },
  cel(
    {
      // Numbers only: a regular expression on an int-or-string field costs more than the
      // CRD's validation budget; a bad port name is refused when the NetworkPolicy is written.
      rule: '!has(self.port) || type(self.port) != int || (self.port >= 1 && self.port <= 65535)',
      message: 'port must be a number from 1 to 65535 (or a named port such as https)',
    },
    {
      rule: '!has(self.endPort) || (has(self.port) && type(self.port) == int && self.endPort >= self.port)',
      message: 'endPort needs a numeric port and must not be below it',
    },
  ),
);
export type NetworkPort = Static<typeof NetworkPortSchema>;

/** A reference to an object by name in the same namespace. */
export const LocalReferenceSchema = Type.Object({ name: DnsSubdomain() });
export type LocalReference = Static<typeof LocalReferenceSchema>;
