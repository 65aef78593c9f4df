// npm run generate: writes every generated file from its single source.
// - crds/*.yaml and the chart's crds/ from the TypeBox schemas in src/api;
// - deploy/agent-identity-operator.yaml from the Helm chart (default values);
// - deploy/argocd/argocd-cm-health.yaml and its copy in the GitOps example from the Lua
//   health scripts;
// - deploy/cluster/ (API server authorization and audit configuration) from the objects the
//   end-to-end tests run the local API server with.
// Unit and integration tests fail when any of them is out of date.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCrdFiles } from '../src/api/crd-files.js';
import {
  ARGOCD_HEALTH_PATCH,
  GITOPS_HEALTH_PATCH,
  renderArgoCdHealthPatch,
} from './generated/argocd.js';
import { renderClusterFiles } from './generated/cluster.js';
import { renderDeployManifest } from './generated/deploy.js';
import { repoRoot } from './local-env/versions.js';
import { ensureTools } from './local-env/index.js';

for (const { fileName, text } of renderCrdFiles()) {
  for (const dir of ['crds', join('charts', 'agent-identity-operator', 'crds')]) {
    writeFileSync(join(repoRoot, dir, fileName), text);
    console.log(`wrote ${dir}/${fileName}`);
  }
}
for (const path of [ARGOCD_HEALTH_PATCH, GITOPS_HEALTH_PATCH]) {
  writeFileSync(join(repoRoot, path), renderArgoCdHealthPatch(path));
  console.log(`wrote ${path}`);
}
for (const { fileName, text } of renderClusterFiles()) {
  writeFileSync(join(repoRoot, 'deploy', 'cluster', fileName), text);
  console.log(`wrote deploy/cluster/${fileName}`);
}
const tools = await ensureTools();
writeFileSync(
  join(repoRoot, 'deploy', 'agent-identity-operator.yaml'),
  await renderDeployManifest(join(tools.binDir, 'helm')),
);
console.log('wrote deploy/agent-identity-operator.yaml');
