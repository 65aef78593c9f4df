// Writes crds/*.yaml from the TypeBox schemas in src/api (the single source of truth).
// Run after changing a schema: npm run generate. A unit test fails when they differ.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCrdFiles } from '../src/api/crd-files.js';
import { repoRoot } from './local-env/versions.js';

for (const { fileName, text } of renderCrdFiles()) {
  writeFileSync(join(repoRoot, 'crds', fileName), text);
  console.log(`wrote crds/${fileName}`);
}
