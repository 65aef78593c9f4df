import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalControlPlane, type ApiServerOptions } from './kubernetes.js';
import { LocalMoto } from './moto.js';
import { LocalOpenBao } from './openbao.js';
import { repoRoot, scriptsDir } from './versions.js';

export { LocalControlPlane, LocalMoto, LocalOpenBao };
export type { ApiServerOptions };

export interface ToolPaths {
  /** kube-apiserver, kube-controller-manager, etcd and helm. */
  binDir: string;
  /** The Python virtual environment holding bao and moto_server. */
  venvDir: string;
}

export interface EnvironmentOptions {
  /** Print progress lines to stderr (default true). */
  progress?: boolean;
  apiServer?: ApiServerOptions;
  /** Start OpenBao (default true). */
  openbao?: boolean;
  /** Start the moto server (default true). */
  moto?: boolean;
}

/** Everything the tests and the demo need, running on loopback. */
export interface LocalEnvironment {
  tools: ToolPaths;
  stateDir: string;
  kube: LocalControlPlane;
  openbao: LocalOpenBao | undefined;
  moto: LocalMoto | undefined;
  helm: string;
  /** Environment variables that point kubectl, helm, the operator and SDKs here. */
  processEnv(): Record<string, string>;
  stop(): Promise<void>;
}

async function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(out.trim());
      else reject(new Error(`${command} ${args.join(' ')} exited with code ${String(code)}`));
    });
  });
}

/**
 * Builds (first run) or finds (later runs) the binaries and the Python tools. Progress goes
 * to stderr; the first run builds Kubernetes from source and takes 10-20 minutes.
 */
export async function ensureTools(): Promise<ToolPaths> {
  const buildOutput = await run('bash', [join(scriptsDir, 'build-control-plane.sh')]);
  const binDir = buildOutput.split('\n').pop() ?? '';
  await run('bash', [join(scriptsDir, 'setup-python-tools.sh')]);
  return { binDir, venvDir: process.env.AIO_VENV_DIR ?? join(repoRoot, '.venv') };
}

/**
 * Every server this environment ever started (restarts included) is recorded in `pids`;
 * whatever is still alive after the orderly stop is killed, so nothing outlives the run.
 */
function killRecordedProcesses(stateDir: string): void {
  let pids: string[];
  try {
    pids = readFileSync(join(stateDir, 'pids'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      process.kill(-Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

const running = new Set<LocalEnvironment>();
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled([...running].map(async (env) => env.stop()));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}

/** Starts the control plane, OpenBao and moto; `stop()` ends them and removes their data. */
export async function startLocalEnvironment(
  options: EnvironmentOptions = {},
): Promise<LocalEnvironment> {
  const say = (line: string): void => {
    if (options.progress !== false) process.stderr.write(`[local env] ${line}\n`);
  };
  const tools = await ensureTools();
  const stateDir = mkdtempSync(join(tmpdir(), 'aio-env-'));
  mkdirSync(join(stateDir, 'logs'));
  installExitHandlers();

  const kube = new LocalControlPlane({
    binDir: tools.binDir,
    stateDir,
    ...(options.apiServer ? { apiServer: options.apiServer } : {}),
  });
  const openbao = options.openbao === false ? undefined : new LocalOpenBao(tools.venvDir, stateDir);
  const moto = options.moto === false ? undefined : new LocalMoto(tools.venvDir, stateDir);

  let stopped = false;
  const env: LocalEnvironment = {
    tools,
    stateDir,
    kube,
    openbao,
    moto,
    helm: join(tools.binDir, 'helm'),
    processEnv: () => ({
      KUBECONFIG: kube.kubeconfigPath,
      ...(openbao ? { VAULT_ADDR: openbao.address, VAULT_TOKEN: openbao.rootToken } : {}),
      ...(moto
        ? {
            AWS_ENDPOINT_URL: moto.endpoint,
            AWS_REGION: moto.region,
            AWS_DEFAULT_REGION: moto.region,
            AWS_ACCESS_KEY_ID: moto.accessKeyId,
            AWS_SECRET_ACCESS_KEY: moto.secretAccessKey,
          }
        : {}),
      PATH: `${tools.binDir}:${process.env.PATH ?? ''}`,
    }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      running.delete(env);
      await Promise.allSettled([kube.stop(), openbao?.stop(), moto?.stop()]);
      killRecordedProcesses(stateDir);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  running.add(env);

  try {
    const started = Date.now();
    say('starting etcd, kube-apiserver and kube-controller-manager');
    await Promise.all([
      kube.start(),
      openbao?.start().then(() => {
        say(`OpenBao ready at ${openbao.address}`);
      }),
      moto?.start().then(() => {
        say(`moto ready at ${moto.endpoint}`);
      }),
    ]);
    say(`kube-apiserver ready at ${kube.server} (${String(Date.now() - started)} ms)`);
    writeFileSync(join(stateDir, 'env.json'), JSON.stringify(env.processEnv(), null, 2), {
      mode: 0o600,
    });
    return env;
  } catch (error) {
    await env.stop();
    throw error;
  }
}

/**
 * Shell lines that point kubectl, helm, bao, the AWS CLI and the operator at a running local
 * environment. The values are the throwaway credentials of local, in-memory servers.
 */
export function shellExports(env: LocalEnvironment): string[] {
  const lines = Object.entries(env.processEnv())
    .filter(([key]) => key !== 'PATH')
    .map(([key, value]) => `export ${key}='${value}'`);
  lines.push(`export PATH='${env.tools.binDir}':'${join(env.tools.venvDir, 'bin')}':"$PATH"`);
  return lines;
}
