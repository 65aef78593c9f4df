import * as k8s from '@kubernetes/client-node';
import type { AgentIdentitySpec } from '../../src/api/agent-identity.js';
import type { AgentPolicySpec } from '../../src/api/agent-policy.js';
import type { AgentIdentity, AgentPolicy } from '../../src/api/resources.js';
import { installCrds as installLocalCrds } from '../../scripts/local-env/operator.js';
import { env } from './fixture.js';
import { adminKubeConfig, eventually } from './helpers.js';

const group = 'agentidentity.io';
const version = 'v1alpha1';

function objects(): k8s.CustomObjectsApi {
  return adminKubeConfig().makeApiClient(k8s.CustomObjectsApi);
}

/** Installs crds/ the way a user does, with `kubectl apply -f crds/`, once per run. */
let crdsInstalled: Promise<void> | undefined;
export async function installCrds(): Promise<void> {
  crdsInstalled ??= installLocalCrds(
    { ...process.env, ...env().processEnv() },
    { platform: false },
  );
  return crdsInstalled;
}

export async function createPolicy(
  namespace: string,
  name: string,
  spec: AgentPolicySpec,
): Promise<AgentPolicy> {
  return (await objects().createNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: 'agentpolicies',
    body: { apiVersion: `${group}/${version}`, kind: 'AgentPolicy', metadata: { name }, spec },
  })) as AgentPolicy;
}

export async function createIdentity(
  namespace: string,
  name: string,
  spec: AgentIdentitySpec,
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): Promise<AgentIdentity> {
  return (await objects().createNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: 'agentidentities',
    body: {
      apiVersion: `${group}/${version}`,
      kind: 'AgentIdentity',
      metadata: { name, ...metadata },
      spec,
    },
  })) as AgentIdentity;
}

export async function getIdentity(namespace: string, name: string): Promise<AgentIdentity> {
  return (await objects().getNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: 'agentidentities',
    name,
  })) as AgentIdentity;
}

export async function patchIdentitySpec(
  namespace: string,
  name: string,
  spec: Partial<AgentIdentitySpec>,
): Promise<void> {
  await objects().patchNamespacedCustomObject(
    { group, version, namespace, plural: 'agentidentities', name, body: { spec } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
}

export async function patchPolicySpec(
  namespace: string,
  name: string,
  spec: Partial<AgentPolicySpec>,
): Promise<void> {
  await objects().patchNamespacedCustomObject(
    { group, version, namespace, plural: 'agentpolicies', name, body: { spec } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
}

export async function deleteIdentity(namespace: string, name: string): Promise<void> {
  await objects().deleteNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: 'agentidentities',
    name,
  });
}

/** Waits until the identity's status satisfies `check`; returns the identity. */
export async function waitForIdentity(
  namespace: string,
  name: string,
  what: string,
  check: (identity: AgentIdentity) => boolean,
  timeoutMs = 30_000,
): Promise<AgentIdentity> {
  return eventually(
    `${namespace}/${name}: ${what}`,
    async () => {
      const identity = await getIdentity(namespace, name);
      return check(identity) ? identity : undefined;
    },
    timeoutMs,
  );
}

export function condition(
  identity: AgentIdentity,
  type: string,
): { status: string; reason: string; message: string } | undefined {
  return identity.status?.conditions?.find((c) => c.type === type);
}

/** True once the identity is reconciled at its current generation and Active. */
export function isActive(identity: AgentIdentity): boolean {
  return (
    identity.status?.phase === 'Active' &&
    identity.status.observedGeneration === identity.metadata.generation
  );
}

/** Resolves 404 as undefined. */
export async function readOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof k8s.ApiException && error.code === 404) return undefined;
    throw error;
  }
}
