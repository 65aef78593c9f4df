import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { ManagedProcess } from './process.js';
import { probe, waitUntil } from './wait.js';

/**
 * OpenBao in dev mode (in-memory storage, unsealed, KV v2 at `secret/`) on a free loopback
 * port. The root token is random per run and passed through the environment, not argv, so
 * it does not show in the process list.
 */
export class LocalOpenBao {
  readonly rootToken = `aio-dev-${randomBytes(12).toString('hex')}`;
  private port = 0;
  private process: ManagedProcess | undefined;

  constructor(
    private readonly venvDir: string,
    private readonly stateDir: string,
  ) {}

  get address(): string {
    return `http://127.0.0.1:${String(this.port)}`;
  }

  get baoPath(): string {
    return join(this.venvDir, 'bin', 'bao');
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const bao = new ManagedProcess(
      {
        name: 'openbao',
        command: this.baoPath,
        args: [
          'server',
          '-dev',
          `-dev-listen-address=127.0.0.1:${String(this.port)}`,
          '-dev-no-store-token',
        ],
        env: { BAO_DEV_ROOT_TOKEN_ID: this.rootToken, VAULT_DEV_ROOT_TOKEN_ID: this.rootToken },
      },
      this.stateDir,
    );
    this.process = bao;
    bao.start();
    await waitUntil(
      'OpenBao /v1/sys/health',
      async () => (await probe({ url: `${this.address}/v1/sys/health` })) === 200,
      () => {
        bao.assertRunning();
      },
    );
  }

  /** Stops the server; dev mode keeps nothing, so a restart begins empty. */
  async stop(): Promise<void> {
    await this.process?.stop();
  }
}
