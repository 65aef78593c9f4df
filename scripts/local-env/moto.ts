import { join } from 'node:path';
import { freePort } from './ports.js';
import { ManagedProcess } from './process.js';
import { probe, waitUntil } from './wait.js';

/** The moto server as the AWS Secrets Manager endpoint, on a free loopback port. */
export class LocalMoto {
  readonly region = 'us-east-1';
  /** moto accepts any credentials; these are placeholders, not secrets. */
  readonly accessKeyId = 'testing';
  readonly secretAccessKey = 'testing';
  private port = 0;
  private process: ManagedProcess | undefined;

  constructor(
    private readonly venvDir: string,
    private readonly stateDir: string,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${String(this.port)}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const moto = new ManagedProcess(
      {
        name: 'moto',
        command: join(this.venvDir, 'bin', 'moto_server'),
        args: ['-H', '127.0.0.1', '-p', String(this.port)],
      },
      this.stateDir,
    );
    this.process = moto;
    moto.start();
    await waitUntil(
      'moto server',
      async () => (await probe({ url: `${this.endpoint}/moto-api/` })) === 200,
      () => {
        moto.assertRunning();
      },
    );
  }

  async stop(): Promise<void> {
    await this.process?.stop();
  }
}
