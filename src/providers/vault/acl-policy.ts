import type { VaultPath } from '../../api/agent-policy.js';

const CAPABILITY_ORDER = ['create', 'read', 'update', 'patch', 'delete', 'list', 'deny'];

/**
 * Renders an agent's Vault ACL policy: read access to its own credentials, plus exactly the
 * paths and capabilities its AgentPolicies declare, merged per path. Paths are validated by
 * the CRD (no quotes, braces or spaces), so they can be embedded as they are.
 */
export function renderAclPolicy(ownDataPath: string, declared: VaultPath[]): string {
  const byPath = new Map<string, Set<string>>([[`${ownDataPath}/*`, new Set(['read'])]]);
  for (const { path, capabilities } of declared) {
    const set = byPath.get(path) ?? new Set<string>();
    for (const capability of capabilities) set.add(capability);
    byPath.set(path, set);
  }
  const blocks = [...byPath.entries()].map(([path, capabilities]) => {
    const ordered = CAPABILITY_ORDER.filter((c) => capabilities.has(c));
    const list = (ordered.includes('deny') ? ['deny'] : ordered).map((c) => `"${c}"`).join(', ');
    return `path "${path}" {\n  capabilities = [${list}]\n}`;
  });
  return `# Managed by agent-identity-operator; changes are overwritten.\n${blocks.join('\n\n')}\n`;
}
