import { startLocalEnvironment, type LocalEnvironment } from '../../scripts/local-env/index.js';

/**
 * Mocha global fixture: the real control plane, OpenBao and moto are started once per
 * test run and stopped at the end, also when tests fail. Each test works in its own
 * namespace (see `helpers.ts`).
 */
let environment: LocalEnvironment | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  environment = await startLocalEnvironment();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await environment?.stop();
}

/** The running environment; throws when used outside the integration suite. */
export function env(): LocalEnvironment {
  if (!environment) throw new Error('the local environment is not running (integration fixture)');
  return environment;
}
