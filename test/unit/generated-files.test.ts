import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCrdFiles } from '../../src/api/crd-files.js';
import {
  ARGOCD_HEALTH_PATCH,
  GITOPS_HEALTH_PATCH,
  renderArgoCdHealthPatch,
} from '../../scripts/generated/argocd.js';
import { renderClusterFiles } from '../../scripts/generated/cluster.js';
import { repoRoot } from '../../scripts/local-env/versions.js';

const read = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');

describe('generated files (run `npm run generate` after changing their source)', function () {
  it("keep the chart's crds/ identical to the top-level crds/", function () {
    for (const { fileName, text } of renderCrdFiles()) {
      assert.equal(read(`charts/agent-identity-operator/crds/${fileName}`), text, fileName);
    }
  });

  it('keep the Argo CD health patch in step with the Lua scripts, in deploy/ and in the GitOps example', function () {
    for (const path of [ARGOCD_HEALTH_PATCH, GITOPS_HEALTH_PATCH]) {
      assert.equal(read(path), renderArgoCdHealthPatch(path), path);
    }
  });

  it('keep the API server configuration in deploy/cluster/ in step with what the tests run', function () {
    for (const { fileName, text } of renderClusterFiles()) {
      assert.equal(read(`deploy/cluster/${fileName}`), text, fileName);
    }
  });
});
