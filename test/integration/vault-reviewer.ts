import { join } from 'node:path';
import { scriptsDir } from '../../scripts/local-env/versions.js';
import { runTool } from './helpers.js';

/**
 * Applies scripts/local-env/platform.yaml: the operator's namespace and the ServiceAccount
 * Vault uses for TokenReview, as the Helm chart creates them. Idempotent.
 */
export async function ensureVaultTokenReviewer(): Promise<string> {
  await runTool('kubectl', ['apply', '-f', join(scriptsDir, 'local-env', 'platform.yaml')]);
  return 'agent-identity-system/aio-vault-token-reviewer';
}
