import * as k8s from '@kubernetes/client-node';
import type { AgentIdentity } from '../src/api/resources.js';

const bold = (text: string): string => (process.stdout.isTTY ? `\u001b[1m${text}\u001b[0m` : text);

function describeRules(rules: k8s.V1PolicyRule[] | undefined): string {
  return (rules ?? [])
    .map((r) => `${r.verbs.join(',')} ${(r.resources ?? []).join(',')}`)
    .join('; ');
}

/** Prints, for each agent, what the operator gave it — readable by a person, no secrets. */
export async function printSummary(kc: k8s.KubeConfig, identities: AgentIdentity[]): Promise<void> {
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const net = kc.makeApiClient(k8s.NetworkingV1Api);
  console.log(`\n${bold('What each agent now has')}\n`);
  for (const identity of identities.sort((a, b) =>
    a.metadata.name.localeCompare(b.metadata.name),
  )) {
    const { namespace, name } = identity.metadata;
    const status = identity.status ?? {};
    const owned = status.owned ?? {};
    console.log(`${bold(`${namespace}/${name}`)}  phase ${status.phase ?? 'unknown'}`);
    console.log(`  owner            ${identity.spec.owner}`);
    console.log(`  purpose          ${identity.spec.purpose}`);
    console.log(`  service account  ${owned.serviceAccount ?? '-'}`);
    if (owned.role) {
      const role = await rbac.readNamespacedRole({ namespace, name: owned.role });
      console.log(`  role             ${owned.role}: ${describeRules(role.rules)}`);
    }
    const bindings = await rbac.listNamespacedRoleBinding({
      namespace,
      labelSelector: 'app.kubernetes.io/managed-by=agent-identity-operator',
    });
    const mine = bindings.items.filter((b) =>
      (owned.roleBindings ?? []).includes(b.metadata?.name ?? ''),
    );
    console.log(
      `  bindings         ${mine.length ? mine.map((b) => `${b.roleRef.kind}/${b.roleRef.name}`).join(', ') : 'none'}`,
    );
    const policies = await net.listNamespacedNetworkPolicy({
      namespace,
      labelSelector: 'app.kubernetes.io/managed-by=agent-identity-operator',
    });
    const np = policies.items.filter((p) =>
      (owned.networkPolicies ?? []).includes(p.metadata?.name ?? ''),
    );
    const egress = np.flatMap((p) => p.spec?.egress ?? []).length;
    console.log(
      `  network          default deny${egress ? ` + ${String(egress)} egress rule(s) incl. DNS` : ', nothing allowed'}`,
    );
    const problems = (status.conditions ?? []).filter((c) =>
      c.type === 'Suspended' ? c.status === 'True' : c.status !== 'True',
    );
    for (const c of problems) console.log(`  ${c.type.padEnd(16)} ${c.reason}: ${c.message}`);
    console.log('');
  }
}
