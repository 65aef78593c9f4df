import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repoRoot } from '../../scripts/local-env/versions.js';

const run = promisify(execFile);

describe('npm run demo -- --once', function () {
  it('reconciles the examples and prints what each agent has, then stops everything', async function () {
    this.timeout(180_000);
    const { stdout } = await run('npm', ['run', '--silent', 'demo', '--', '--once'], {
      cwd: repoRoot,
      env: { ...process.env, FORCE_COLOR: '0' },
      maxBuffer: 10 * 1024 * 1024,
    });
    assert.match(stdout, /team-billing\/invoice-reconciler {2}phase Active/);
    assert.match(stdout, /team-support\/support-triage {2}phase Active/);
    assert.match(stdout, /team-support\/legacy-scraper {2}phase Suspended/);
    assert.match(stdout, /bindings {9}Role\/aio-support-triage, ClusterRole\/view/);
  });
});
