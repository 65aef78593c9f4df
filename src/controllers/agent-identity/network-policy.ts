import type { LabelSelector, NetworkPeer, NetworkPort } from '../../api/common.js';
import type { AgentIdentity, AgentPolicy } from '../../api/resources.js';
import type { KubeObject } from '../../runtime/kube-api.js';
import { childMetadata } from './metadata.js';
import { defaultWorkloadLabels, type ChildNames } from './names.js';

interface NetworkPolicyRule {
  to?: NetworkPeer[];
  from?: NetworkPeer[];
  ports?: NetworkPort[];
}

export interface NetworkPolicyManifest extends KubeObject {
  spec: {
    podSelector: LabelSelector;
    policyTypes: ('Ingress' | 'Egress')[];
    ingress?: NetworkPolicyRule[];
    egress?: NetworkPolicyRule[];
  };
}

/** Where cluster DNS runs, so the DNS egress rule can name it precisely. */
export interface DnsTarget {
  namespace: string;
  podLabels: Record<string, string>;
}

export interface NetworkPlan {
  /** Selects only the agent's pods and denies all ingress and egress. Always present. */
  deny: NetworkPolicyManifest;
  /** What the policies open (and DNS); absent when nothing is open or the agent is contained. */
  allow: NetworkPolicyManifest | undefined;
}

/** The agent's pods: `workloadSelector`, or the label naming the agent. Never empty. */
export function workloadSelector(identity: AgentIdentity): LabelSelector {
  const selector = identity.spec.workloadSelector;
  const empty =
    !selector ||
    (Object.keys(selector.matchLabels ?? {}).length === 0 &&
      (selector.matchExpressions ?? []).length === 0);
  return empty ? { matchLabels: defaultWorkloadLabels(identity) } : selector;
}

/** DNS stays open unless a policy turns it off: a guardrail in any policy wins. */
export function dnsAllowed(policies: AgentPolicy[]): boolean {
  return policies.every((p) => p.spec.network?.allowDNS !== false);
}

function dnsEgress(dns: DnsTarget): NetworkPolicyRule {
  return {
    to: [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': dns.namespace } },
        podSelector: { matchLabels: dns.podLabels },
      },
    ],
    ports: [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ],
  };
}

/**
 * Decides the agent's NetworkPolicies: a default deny for both directions, and one policy
 * with the union of what the policies allow plus DNS. Containment removes the second, which
 * leaves only the deny: the agent's pods can reach nothing and nothing can reach them.
 */
export function planNetwork(
  identity: AgentIdentity,
  names: ChildNames,
  policies: AgentPolicy[],
  dns: DnsTarget,
  contained: boolean,
): NetworkPlan {
  const podSelector = workloadSelector(identity);
  const deny: NetworkPolicyManifest = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: childMetadata(identity, names.denyPolicy),
    spec: { podSelector, policyTypes: ['Ingress', 'Egress'] },
  };
  if (contained) return { deny, allow: undefined };

  const ingress: NetworkPolicyRule[] = policies.flatMap((p) =>
    (p.spec.network?.ingress ?? []).map((rule) => ({
      ...(rule.from ? { from: rule.from } : {}),
      ...(rule.ports ? { ports: rule.ports } : {}),
    })),
  );
  const egress: NetworkPolicyRule[] = policies.flatMap((p) =>
    (p.spec.network?.egress ?? []).map((rule) => ({
      ...(rule.to ? { to: rule.to } : {}),
      ...(rule.ports ? { ports: rule.ports } : {}),
    })),
  );
  if (dnsAllowed(policies)) egress.unshift(dnsEgress(dns));
  if (ingress.length === 0 && egress.length === 0) return { deny, allow: undefined };

  const allow: NetworkPolicyManifest = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: childMetadata(identity, names.allowPolicy),
    spec: {
      podSelector,
      policyTypes: ['Ingress', 'Egress'],
      ...(ingress.length ? { ingress } : {}),
      ...(egress.length ? { egress } : {}),
    },
  };
  return { deny, allow };
}
