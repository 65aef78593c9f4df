import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { env } from './fixture.js';

const execFileAsync = promisify(execFile);

/** A KubeConfig for the local cluster's admin. */
export function adminKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(env().kube.kubeconfigPath);
  return kc;
}

/** Creates a namespace with a unique name for one test; returns its name. */
export async function createTestNamespace(prefix = 'test'): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await adminKubeConfig()
    .makeApiClient(k8s.CoreV1Api)
    .createNamespace({ body: { metadata: { name } } });
  return name;
}

/** Deletes a test namespace without waiting for it to go. */
export async function deleteTestNamespace(name: string): Promise<void> {
  try {
    await adminKubeConfig().makeApiClient(k8s.CoreV1Api).deleteNamespace({ name });
  } catch (error) {
    if (!(error instanceof k8s.ApiException && error.code === 404)) throw error;
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Runs a command with the environment's KUBECONFIG and tools on PATH. */
export async function runTool(
  command: string,
  args: string[],
): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(command, args, { env: { ...process.env, ...env().processEnv() } });
}
