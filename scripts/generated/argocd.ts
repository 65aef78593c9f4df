import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { repoRoot } from '../local-env/versions.js';

export const ARGOCD_HEALTH_PATCH = 'deploy/argocd/argocd-cm-health.yaml';
export const GITOPS_HEALTH_PATCH = 'examples/gitops/platform/argocd/argocd-cm-health.yaml';

export const healthDir = join(repoRoot, 'deploy', 'argocd', 'health');

/**
 * The argocd-cm patch that installs the health checks, one key per kind as Argo CD expects
 * (`resource.customizations.health.<group>_<kind>`), generated from the .lua files.
 */
export function renderArgoCdHealthPatch(path = ARGOCD_HEALTH_PATCH): string {
  const data: Record<string, string> = {};
  for (const file of readdirSync(healthDir)
    .filter((f) => f.endsWith('.lua'))
    .sort()) {
    data[`resource.customizations.health.${file.replace(/\.lua$/, '')}`] = readFileSync(
      join(healthDir, file),
      'utf8',
    );
  }
  return (
    '# Generated from deploy/argocd/health/*.lua by `npm run generate`; do not edit by hand.\n' +
    "# A patch, not an object to apply: merge it into Argo CD's argocd-cm ConfigMap, e.g.\n" +
    `#   kubectl -n argocd patch configmap argocd-cm --patch-file ${path}\n` +
    dump({ data }, { lineWidth: -1 })
  );
}
