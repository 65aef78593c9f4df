import { Type, type TSchema } from '@sinclair/typebox';
import {
  AGENT_IDENTITY_ROOT_RULES,
  AgentIdentitySpecSchema,
  AgentIdentityStatusSchema,
} from './agent-identity.js';
import { AgentPolicySpecSchema, AgentPolicyStatusSchema } from './agent-policy.js';
import { GROUP, VERSION } from './constants.js';
import { AGENT_IDENTITY, AGENT_POLICY, type ResourceKind } from './resources.js';

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

/** A CustomResourceDefinition as plain JSON, ready to write as YAML or to apply. */
export type CrdManifest = Record<string, unknown>;

/**
 * Strips TypeBox's internal markers so only OpenAPI keywords remain. Symbols are dropped by
 * the JSON round trip; `$id`-style keys are never set by our schemas.
 */
function openApi(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

function buildCrd(
  names: ResourceKind,
  spec: TSchema,
  status: TSchema,
  columns: PrinterColumn[],
  description: string,
  rootRules: { rule: string; message: string }[] = [],
): CrdManifest {
  const root = Type.Object(
    {
      apiVersion: Type.Optional(Type.String()),
      kind: Type.Optional(Type.String()),
      metadata: Type.Optional(Type.Object({})),
      spec,
      status: Type.Optional(status),
    },
    { description, ...(rootRules.length ? { 'x-kubernetes-validations': rootRules } : {}) },
  );
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${names.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'agent-identity-operator' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: names.kind,
        listKind: `${names.kind}List`,
        plural: names.plural,
        singular: names.singular,
        shortNames: names.shortNames,
        categories: ['agents'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: columns,
          schema: { openAPIV3Schema: openApi(root) },
        },
      ],
    },
  };
}

/** The CRDs in `crds/`, generated from the same schemas that give the TypeScript types. */
export function buildCrds(): { fileName: string; manifest: CrdManifest }[] {
  const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
  return [
    {
      fileName: `${GROUP}_${AGENT_IDENTITY.plural}.yaml`,
      manifest: buildCrd(
        AGENT_IDENTITY,
        AgentIdentitySpecSchema,
        AgentIdentityStatusSchema,
        [
          { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
          { name: 'Owner', type: 'string', jsonPath: '.spec.owner' },
          { name: 'Risk', type: 'number', jsonPath: '.status.behavior.riskScore' },
          { name: 'Last Rotation', type: 'date', jsonPath: '.status.lastRotationAt' },
          age,
          { name: 'Purpose', type: 'string', jsonPath: '.spec.purpose', priority: 1 },
        ],
        'AgentIdentity is one AI agent as a governed identity: its owner, purpose, policies, credentials and lifecycle.',
        AGENT_IDENTITY_ROOT_RULES,
      ),
    },
    {
      fileName: `${GROUP}_${AGENT_POLICY.plural}.yaml`,
      manifest: buildCrd(
        AGENT_POLICY,
        AgentPolicySpecSchema,
        AgentPolicyStatusSchema,
        [
          {
            name: 'Ready',
            type: 'string',
            jsonPath: '.status.conditions[?(@.type=="Ready")].status',
          },
          age,
          { name: 'Description', type: 'string', jsonPath: '.spec.description', priority: 1 },
        ],
        'AgentPolicy is a reusable bundle of capabilities and guardrails for agents.',
      ),
    },
  ];
}
