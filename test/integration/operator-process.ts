import type { ChildProcess } from 'node:child_process';
import { spawnLocalOperator } from '../../scripts/local-env/operator.js';
import { env } from './fixture.js';

/** A real operator process (src/main.ts through tsx) started by a test. */
export interface OperatorProcess {
  readonly process: ChildProcess;
  /** Every line the operator has written so far (JSON logs and stderr). */
  logs(): string[];
  /** Resolves when a log line matches. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM and wait: a graceful shutdown. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait: a crash. */
  kill(): Promise<void>;
}

/** Every log line of every operator process this run started, for the leak check. */
export const allOperatorLogs: string[] = [];

export function startOperator(
  args: string[],
  options: { kubeconfig?: string; extraEnv?: Record<string, string> } = {},
): OperatorProcess {
  const child = spawnLocalOperator(args, {
    env: {
      ...process.env,
      ...env().processEnv(),
      ...(options.kubeconfig ? { KUBECONFIG: options.kubeconfig } : {}),
      ...options.extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      lines.push(line);
      allOperatorLogs.push(line);
      if (process.env.AIO_TEST_OPERATOR_LOGS) process.stderr.write(`[operator] ${line}\n`);
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  return {
    process: child,
    logs: () => [...lines],
    waitForLog: async (pattern, timeoutMs = 30_000) => {
      const found = lines.find((line) => pattern.test(line));
      if (found) return found;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `operator did not log ${String(pattern)}; last lines:\n${lines.slice(-10).join('\n')}`,
            ),
          );
        }, timeoutMs);
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
