import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
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

  /** The server's configuration file: only declarative audit devices (dev mode does the rest). */
  get configFile(): string {
    return join(this.stateDir, 'openbao.hcl');
  }

  /**
   * Declares audit devices and makes the running server reload them (OpenBao creates audit
   * devices only from its configuration file). A discarding file device is always declared:
   * OpenBao refuses requests when every audit device fails, and a socket device fails while
   * its listener is away.
   */
  async configureAudit(socketAddress: string | undefined): Promise<void> {
    this.auditSocket = socketAddress;
    writeFileSync(this.configFile, this.renderConfig());
    this.process?.signal('SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  private auditSocket: string | undefined;

  private renderConfig(): string {
    const devices = [
      'audit "file" "discard" {\n  options {\n    file_path = "discard"\n  }\n}',
      ...(this.auditSocket
        ? [
            `audit "socket" "operator" {\n  options {\n    address = "${this.auditSocket}"\n    socket_type = "tcp"\n    format = "json"\n  }\n}`,
          ]
        : []),
    ];
    return `${devices.join('\n\n')}\n`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    writeFileSync(this.configFile, this.renderConfig());
    const bao = new ManagedProcess(
      {
        name: 'openbao',
        command: this.baoPath,
        args: [
          'server',
          '-dev',
          `-dev-listen-address=127.0.0.1:${String(this.port)}`,
          '-dev-no-store-token',
          `-config=${this.configFile}`,
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
