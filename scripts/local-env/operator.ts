import { execFile, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './versions.js';

const run = promisify(execFile);

/**
 * The operator from source (src/main.ts through tsx) against a local environment, health
 * and metrics on a free loopback port: how the demo, the benchmarks and the tests run it.
 */
export function spawnLocalOperator(
  args: string[],
  options: { env: NodeJS.ProcessEnv; stdio: StdioOptions },
): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'src', 'main.ts'), '--http-address', '127.0.0.1:0', ...args],
    {
      // The AWS SDK warns on every start under Node.js 20; the README says so once.
      env: { ...options.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: options.stdio,
    },
  );
}

/**
 * What the operator needs on a cluster before it starts, applied as a user does: crds/ with
 * `kubectl apply --server-side` (then waited for), and, with `platform`, the Vault token
 * reviewer ServiceAccount from platform.yaml.
 */
export async function installCrds(
  env: NodeJS.ProcessEnv,
  options: { platform: boolean },
): Promise<void> {
  const kubectl = async (...args: string[]): Promise<void> => {
    await run('kubectl', args, { env });
  };
  await kubectl('apply', '--server-side', '-f', join(repoRoot, 'crds'));
  await kubectl(
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd',
    '-l',
    'app.kubernetes.io/part-of=agent-identity-operator',
  );
  if (options.platform)
    await kubectl('apply', '-f', join(repoRoot, 'scripts', 'local-env', 'platform.yaml'));
}
