import * as k8s from '@kubernetes/client-node';
import type { AgentIdentity } from '../src/api/resources.js';

const bold = (text: string): string => (process.stdout.isTTY ? `\u001b[1m${text}\u001b[0m` : text);

function describeRules(rules: k8s.V1PolicyRule[] | undefined): string {
  return (rules ?? [])
    .map((r) => `${r.verbs.join(',')} ${(r.resources ?? []).join(',')}`)
    .join('; ');
}

function describePeer(peer: k8s.V1NetworkPolicyPeer): string {
  if (peer.ipBlock) return peer.ipBlock.cidr;
  const ns = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
  const pods = Object.entries(peer.podSelector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return (
    [ns ? `namespace ${ns}` : '', pods ? `pods ${pods}` : ''].filter(Boolean).join(' ') || 'any'
  );
}

function describeEgress(rule: k8s.V1NetworkPolicyEgressRule): string {
  const to = (rule.to ?? []).map(describePeer).join(' | ') || 'anywhere';
  const ports = (rule.ports ?? [])
    .map((p) => `${p.protocol ?? 'TCP'}/${String(p.port ?? '*')}`)
    .join(',');
  return `${to}${ports ? ` on ${ports}` : ''}`;
}

function until(iso: string | undefined): string {
  if (!iso) return '';
  const hours = Math.round((Date.parse(iso) - Date.now()) / 3_600_000);
  return hours >= 48 ? `in ${String(Math.round(hours / 24))} days` : `in ${String(hours)} h`;
}

/** Prints, for each agent, what the operator gave it — readable by a person, no secrets. */
export async function printSummary(kc: k8s.KubeConfig, identities: AgentIdentity[]): Promise<void> {
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const net = kc.makeApiClient(k8s.NetworkingV1Api);
  const selector = 'app.kubernetes.io/managed-by=agent-identity-operator';
  console.log(`\n${bold('What each agent now has')}\n`);
  for (const identity of identities.sort((a, b) =>
    a.metadata.name.localeCompare(b.metadata.name),
  )) {
    const { namespace, name } = identity.metadata;
    const status = identity.status ?? {};
    const owned = status.owned ?? {};
    const line = (label: string, value: string): void => {
      console.log(`  ${label.padEnd(17)}${value}`);
    };
    console.log(`${bold(`${namespace}/${name}`)}  phase ${status.phase ?? 'unknown'}`);
    line('owner', identity.spec.owner);
    line('purpose', identity.spec.purpose);
    line('service account', owned.serviceAccount ?? '-');
    if (owned.role) {
      const role = await rbac.readNamespacedRole({ namespace, name: owned.role });
      line('role', `${owned.role}: ${describeRules(role.rules)}`);
    }
    const bindings = (
      await rbac.listNamespacedRoleBinding({ namespace, labelSelector: selector })
    ).items.filter((b) => (owned.roleBindings ?? []).includes(b.metadata?.name ?? ''));
    line(
      'bindings',
      bindings.length
        ? bindings.map((b) => `${b.roleRef.kind}/${b.roleRef.name}`).join(', ')
        : 'none',
    );
    const policies = (
      await net.listNamespacedNetworkPolicy({ namespace, labelSelector: selector })
    ).items.filter((p) => (owned.networkPolicies ?? []).includes(p.metadata?.name ?? ''));
    const egress = policies.flatMap((p) => p.spec?.egress ?? []);
    line(
      'network',
      egress.length ? 'default deny; egress allowed to:' : 'default deny, nothing allowed',
    );
    for (const rule of egress) line('', `  ${describeEgress(rule)}`);
    if (owned.vaultIdentity)
      line('vault identity', `${owned.vaultIdentity} (policy, Kubernetes-auth role, entity)`);
    for (const credential of status.credentials ?? []) {
      const stores = Object.keys(credential.storeVersions ?? {})
        .map((s) => (s === 'vault' ? 'Vault' : 'AWS Secrets Manager'))
        .join(' + ');
      line(
        `credential`,
        `${credential.name} v${String(credential.currentVersion ?? 0)} in ${stores}, next rotation ${until(credential.nextRotationAt)}`,
      );
    }
    const notable = (status.conditions ?? []).filter((c) =>
      c.type === 'Suspended' ? c.status === 'True' : c.status !== 'True',
    );
    for (const c of notable) line(c.type, `${c.reason}: ${c.message}`);
    console.log('');
  }
  console.log(
    'ClusterRole bindings are made only for ClusterRoles on the operator allow-list; the demo allows view.',
  );
}
