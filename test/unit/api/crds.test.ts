import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { renderCrdFiles } from '../../../src/api/crd-files.js';
import { repoRoot } from '../../../scripts/local-env/versions.js';

describe('the CRDs in crds/', function () {
  const generated = renderCrdFiles();

  it('are exactly what the TypeScript schemas generate (run `npm run generate` after a change)', function () {
    for (const { fileName, text } of generated) {
      const onDisk = readFileSync(join(repoRoot, 'crds', fileName), 'utf8');
      assert.equal(onDisk, text, `crds/${fileName} is out of date`);
    }
  });

  it('holds no file the schemas do not generate', function () {
    const expected = generated.map((file) => file.fileName).sort();
    assert.deepEqual(readdirSync(join(repoRoot, 'crds')).sort(), expected);
  });

  it('puts no default on any field, so GitOps tools never see a diff the user did not write', function () {
    for (const { fileName, text } of generated) {
      assert.doesNotMatch(text, /^\s*default:/m, `crds/${fileName} declares a default`);
    }
  });
});
