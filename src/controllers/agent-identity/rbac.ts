import type { PolicyRule } from '../../api/common.js';
import type { AgentIdentity, AgentPolicy } from '../../api/resources.js';
import type { KubeObject } from '../../runtime/kube-api.js';
import { childMetadata } from './metadata.js';
import type { ChildNames } from './names.js';

export interface RoleManifest extends KubeObject {
  rules: PolicyRule[];
}

export interface RoleBindingManifest extends KubeObject {
  roleRef: { apiGroup: string; kind: 'Role' | 'ClusterRole'; name: string };
  subjects: { kind: 'ServiceAccount'; name: string; namespace: string }[];
}

/** What the agent's RBAC should be, decided without I/O. */
export interface RbacPlan {
  /** The Role with the union of the policies' rules; absent when they declare none. */
  role: RoleManifest | undefined;
  bindings: RoleBindingManifest[];
  /** ClusterRoles the policies reference that are not on the operator's allow-list. */
  refusedClusterRoles: string[];
  /** Every binding name this identity would use when active: checked when it is contained. */
  possibleBindings: string[];
}

/** The union of the policies' rules, each distinct rule once, in policy order. */
export function unionRules(policies: AgentPolicy[]): PolicyRule[] {
  const seen = new Set<string>();
  const rules: PolicyRule[] = [];
  for (const rule of policies.flatMap((p) => p.spec.kubernetes?.rules ?? [])) {
    const normalized: PolicyRule = {
      apiGroups: rule.apiGroups,
      resources: rule.resources,
      verbs: rule.verbs,
      ...(rule.resourceNames?.length ? { resourceNames: rule.resourceNames } : {}),
    };
    const key = JSON.stringify(normalized);
    if (seen.has(key)) continue;
    seen.add(key);
    rules.push(normalized);
  }
  return rules;
}

function binding(
  identity: AgentIdentity,
  names: ChildNames,
  name: string,
  roleRef: RoleBindingManifest['roleRef'],
): RoleBindingManifest {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: childMetadata(identity, name),
    roleRef,
    subjects: [
      {
        kind: 'ServiceAccount',
        name: names.serviceAccount,
        namespace: identity.metadata.namespace,
      },
    ],
  };
}

/**
 * Decides the agent's Role and RoleBindings. Nothing broader than declared: the Role holds
 * exactly the policies' rules, and ClusterRoles are bound only when on the allow-list. A
 * contained agent (suspended, expired, quarantined) keeps its Role but has no bindings.
 */
export function planRbac(
  identity: AgentIdentity,
  names: ChildNames,
  policies: AgentPolicy[],
  allowedClusterRoles: ReadonlySet<string>,
  contained: boolean,
): RbacPlan {
  const rules = unionRules(policies);
  const role: RoleManifest | undefined =
    rules.length === 0
      ? undefined
      : {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: childMetadata(identity, names.role),
          rules,
        };

  const clusterRoles = [...new Set(policies.flatMap((p) => p.spec.kubernetes?.clusterRoles ?? []))];
  const refusedClusterRoles = clusterRoles.filter((name) => !allowedClusterRoles.has(name));
  const possibleBindings = [
    names.roleBinding,
    ...clusterRoles.map((c) => names.clusterRoleBinding(c)),
  ];
  if (contained) return { role, bindings: [], refusedClusterRoles, possibleBindings };

  const bindings: RoleBindingManifest[] = [];
  if (role) {
    bindings.push(
      binding(identity, names, names.roleBinding, {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: names.role,
      }),
    );
  }
  for (const clusterRole of clusterRoles.filter((name) => allowedClusterRoles.has(name))) {
    bindings.push(
      binding(identity, names, names.clusterRoleBinding(clusterRole), {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: clusterRole,
      }),
    );
  }
  return { role, bindings, refusedClusterRoles, possibleBindings };
}
