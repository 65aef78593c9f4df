import { dump } from 'js-yaml';
import { buildCrds } from './crds.js';

const header =
  '# Generated from src/api by `npm run generate`; do not edit by hand.\n' +
  '# A unit test fails when this file and the TypeScript schemas disagree.\n';

/** The text of each file in `crds/`, as the generator writes it. */
export function renderCrdFiles(): { fileName: string; text: string }[] {
  return buildCrds().map(({ fileName, manifest }) => ({
    fileName,
    text: header + dump(manifest, { lineWidth: 120, noRefs: true }),
  }));
}
