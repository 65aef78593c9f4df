import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * A server process started for the local environment. Output goes to a log file in the
 * environment's directory so a failed start can show its tail; the process runs in its own
 * process group, so stopping it also stops anything it forked.
 */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private exitCode: number | null = null;
  readonly logFile: string;

  constructor(
    readonly spec: ProcessSpec,
    private readonly stateDir: string,
  ) {
    this.logFile = join(stateDir, 'logs', `${spec.name}.log`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitCode === null;
  }

  start(): void {
    if (this.running) return;
    appendFileSync(this.logFile, `--- starting ${this.spec.command} ${this.spec.args.join(' ')}\n`);
    const out = openSync(this.logFile, 'a');
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: { ...process.env, ...this.spec.env },
      stdio: ['ignore', out, out],
      detached: true,
    });
    closeSync(out);
    this.child = child;
    this.exitCode = null;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : 1);
        resolve();
      });
      child.once('error', (error) => {
        appendFileSync(this.logFile, `--- failed to start: ${error.message}\n`);
        this.exitCode = 127;
        resolve();
      });
    });
    if (child.pid !== undefined) registerWithReaper(this.stateDir, child.pid);
  }

  /** Stops the process group: SIGTERM, then SIGKILL if it has not exited in time. */
  async stop(graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!child?.pid || !this.running) return;
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      signalGroup(child.pid ?? 0, 'SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Sends a signal to the process (SIGHUP to make a server reload its configuration). */
  signal(signal: NodeJS.Signals): void {
    if (this.child?.pid && this.running) process.kill(this.child.pid, signal);
  }

  /** Kills the process group at once, as a crash would. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid || !this.running) return;
    signalGroup(child.pid, 'SIGKILL');
    await this.exited;
  }

  /** The last lines of the process's log, for error messages when it fails to start. */
  logTail(lines = 25): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Throws with the log's tail when the process has already exited. */
  assertRunning(): void {
    if (!this.running) {
      throw new Error(
        `${this.spec.name} exited with code ${String(this.exitCode)}; last lines of ${this.logFile}:\n${this.logTail()}`,
      );
    }
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

let reaperStarted = new Set<string>();

/**
 * Records a child's pid for the reaper: a small detached watcher that stops every
 * registered process group and removes the state directory when this Node.js process dies
 * without cleaning up (SIGKILL, a crash), so no server is left listening.
 */
function registerWithReaper(stateDir: string, pid: number): void {
  appendFileSync(join(stateDir, 'pids'), `${String(pid)}\n`);
  if (reaperStarted.has(stateDir)) return;
  const reaper = fileURLToPath(new URL('./reaper.sh', import.meta.url));
  const child = spawn('bash', [reaper, String(process.pid), stateDir], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  reaperStarted = new Set([...reaperStarted, stateDir]);
}
