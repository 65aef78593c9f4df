import { startLocalEnvironment, type LocalEnvironment } from '../../scripts/local-env/index.js';
import { installCrds } from './resources.js';

/**
 * Mocha global fixture: the real control plane, OpenBao and moto are started once per
 * test run and stopped at the end, also when tests fail. Each test works in its own
 * namespace (see `helpers.ts`).
 */
// The README recommends Node.js 22; the SDK's reminder about it adds nothing to test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

let environment: LocalEnvironment | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  environment = await startLocalEnvironment();
  // Installed first so the garbage collector (which discovers new types every 30s) knows
  // the operator's kinds before any test deletes an identity.
  try {
    await installCrds();
  } catch (error) {
    // Mocha runs no teardown after a failed setup; stop the servers so the run can end.
    await environment.stop();
    throw error;
  }
}

export async function mochaGlobalTeardown(): Promise<void> {
  await environment?.stop();
}

/** The running environment; throws when used outside the integration suite. */
export function env(): LocalEnvironment {
  if (!environment) throw new Error('the local environment is not running (integration fixture)');
  return environment;
}
