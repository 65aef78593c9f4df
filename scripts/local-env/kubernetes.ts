import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { createCertificateAuthority, createSigningKeyPair, type KeyPairPem } from './pki.js';
import { freePort } from './ports.js';
import { ManagedProcess } from './process.js';
import { probe, waitUntil } from './wait.js';

/** How the API server is started; the webhook options are for the behaviour work. */
export interface ApiServerOptions {
  /** A structured AuthorizationConfiguration file; replaces `--authorization-mode=RBAC`. */
  authorizationConfigFile?: string;
  audit?: {
    policyFile: string;
    /** A kubeconfig-format file naming the audit webhook. */
    webhookConfigFile: string;
    batchMaxWait?: string;
  };
  extraArgs?: string[];
}

export interface ControlPlaneOptions {
  binDir: string;
  stateDir: string;
  apiServer?: ApiServerOptions;
}

interface Pki {
  servingCa: KeyPairPem;
  clientCa: KeyPairPem & { issue: (cn: string, orgs: string[]) => Promise<KeyPairPem> };
  serving: KeyPairPem;
  admin: KeyPairPem;
  controllerManager: KeyPairPem;
}

/**
 * etcd, kube-apiserver and kube-controller-manager on free loopback ports, with generated
 * certificates, a service-account signing key and RBAC. The controller manager runs only
 * the controllers that garbage collection, namespace deletion and service accounts need.
 */
export class LocalControlPlane {
  readonly dir: string;
  readonly kubeconfigPath: string;
  private pki: Pki | undefined;
  private etcd: ManagedProcess | undefined;
  private apiServer: ManagedProcess | undefined;
  private controllerManager: ManagedProcess | undefined;
  private apiServerPort = 0;
  private etcdUrl = '';
  private apiServerOptions: ApiServerOptions;

  constructor(private readonly options: ControlPlaneOptions) {
    this.dir = join(options.stateDir, 'kubernetes');
    this.kubeconfigPath = join(this.dir, 'admin.kubeconfig');
    this.apiServerOptions = options.apiServer ?? {};
  }

  get server(): string {
    return `https://127.0.0.1:${String(this.apiServerPort)}`;
  }

  /** The CA that signs the API server's serving certificate (for clients' trust). */
  get servingCaPem(): string {
    return this.requirePki().servingCa.certPem;
  }

  /** The CA whose client certificates the API server accepts. */
  get clientCaPem(): string {
    return this.requirePki().clientCa.certPem;
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    this.pki = await this.createPki();
    this.writePkiFiles(this.pki, await createSigningKeyPair());
    await this.startEtcd();
    this.apiServerPort = await freePort();
    this.writeKubeconfigs(this.pki);
    await this.startApiServer();
    await this.startControllerManager();
  }

  /** Stops the API server (etcd keeps the data), as an outage would. */
  async stopApiServer(): Promise<void> {
    await this.apiServer?.stop();
  }

  /** Starts the API server again on the same port, optionally with new options. */
  async startApiServer(options?: ApiServerOptions): Promise<void> {
    if (options) this.apiServerOptions = options;
    const server = new ManagedProcess(
      {
        name: 'kube-apiserver',
        command: join(this.options.binDir, 'kube-apiserver'),
        args: this.apiServerArgs(),
      },
      this.options.stateDir,
    );
    this.apiServer = server;
    server.start();
    const pki = this.requirePki();
    await waitUntil(
      'kube-apiserver /readyz',
      async () =>
        (await probe({
          url: `${this.server}/readyz`,
          ca: pki.servingCa.certPem,
          cert: pki.admin.certPem,
          key: pki.admin.keyPem,
        })) === 200,
      () => {
        server.assertRunning();
      },
    );
  }

  /** Issues a client certificate the API server accepts, for a user and its groups. */
  async issueClientCertificate(user: string, groups: string[] = []): Promise<KeyPairPem> {
    return this.requirePki().clientCa.issue(user, groups);
  }

  async stop(): Promise<void> {
    await this.controllerManager?.stop();
    await this.apiServer?.stop();
    await this.etcd?.stop();
  }

  private requirePki(): Pki {
    if (!this.pki) throw new Error('the control plane has not been started');
    return this.pki;
  }

  private async createPki(): Promise<Pki> {
    const servingCa = await createCertificateAuthority('aio-local-serving-ca');
    const clientCa = await createCertificateAuthority('aio-local-client-ca');
    const serving = await servingCa.issue({
      commonName: 'kube-apiserver',
      usage: 'server',
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
      ipAddresses: ['127.0.0.1', '10.0.0.1'],
    });
    const issueClient = async (cn: string, orgs: string[]): Promise<KeyPairPem> =>
      clientCa.issue({ commonName: cn, organizations: orgs, usage: 'client' });
    return {
      servingCa,
      clientCa: { ...clientCa, issue: issueClient },
      serving,
      admin: await issueClient('aio-local-admin', ['system:masters']),
      // Runs without per-controller service-account credentials, so it needs broad rights;
      // a real cluster would use --use-service-account-credentials and the bootstrap roles.
      controllerManager: await issueClient('system:kube-controller-manager', ['system:masters']),
    };
  }

  private writePkiFiles(pki: Pki, serviceAccount: { publicPem: string; privatePem: string }): void {
    const write = (name: string, content: string): void => {
      writeFileSync(join(this.dir, name), content, { mode: 0o600 });
    };
    write('serving-ca.crt', pki.servingCa.certPem);
    write('client-ca.crt', pki.clientCa.certPem);
    write('apiserver.crt', pki.serving.certPem);
    write('apiserver.key', pki.serving.keyPem);
    write('service-account.pub', serviceAccount.publicPem);
    write('service-account.key', serviceAccount.privatePem);
  }

  private async startEtcd(): Promise<void> {
    const clientPort = await freePort();
    const peerPort = await freePort();
    const clientUrl = `http://127.0.0.1:${String(clientPort)}`;
    const peerUrl = `http://127.0.0.1:${String(peerPort)}`;
    this.etcdUrl = clientUrl;
    const etcd = new ManagedProcess(
      {
        name: 'etcd',
        command: join(this.options.binDir, 'etcd'),
        args: [
          `--data-dir=${join(this.dir, 'etcd-data')}`,
          `--listen-client-urls=${clientUrl}`,
          `--advertise-client-urls=${clientUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=default=${peerUrl}`,
          '--unsafe-no-fsync',
          '--log-level=warn',
        ],
      },
      this.options.stateDir,
    );
    this.etcd = etcd;
    etcd.start();
    await waitUntil(
      'etcd /health',
      async () => (await probe({ url: `${clientUrl}/health` })) === 200,
      () => {
        etcd.assertRunning();
      },
    );
  }

  private apiServerArgs(): string[] {
    const file = (name: string): string => join(this.dir, name);
    const options = this.apiServerOptions;
    const args = [
      `--etcd-servers=${this.etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${String(this.apiServerPort)}`,
      `--cert-dir=${file('apiserver-certs')}`,
      `--tls-cert-file=${file('apiserver.crt')}`,
      `--tls-private-key-file=${file('apiserver.key')}`,
      `--client-ca-file=${file('client-ca.crt')}`,
      `--service-account-issuer=${this.server}`,
      `--service-account-key-file=${file('service-account.pub')}`,
      `--service-account-signing-key-file=${file('service-account.key')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      // The default reconciler refuses a loopback advertise address; nothing here needs the
      // kubernetes Service's endpoints.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
    ];
    if (options.authorizationConfigFile) {
      args.push(`--authorization-config=${options.authorizationConfigFile}`);
    } else {
      args.push('--authorization-mode=RBAC');
    }
    if (options.audit) {
      args.push(
        `--audit-policy-file=${options.audit.policyFile}`,
        `--audit-webhook-config-file=${options.audit.webhookConfigFile}`,
        '--audit-webhook-mode=batch',
        `--audit-webhook-batch-max-wait=${options.audit.batchMaxWait ?? '1s'}`,
      );
    }
    return [...args, ...(options.extraArgs ?? [])];
  }

  private async startControllerManager(): Promise<void> {
    const port = await freePort();
    const file = (name: string): string => join(this.dir, name);
    const manager = new ManagedProcess(
      {
        name: 'kube-controller-manager',
        command: join(this.options.binDir, 'kube-controller-manager'),
        args: [
          `--kubeconfig=${file('controller-manager.kubeconfig')}`,
          '--controllers=garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller',
          `--service-account-private-key-file=${file('service-account.key')}`,
          `--root-ca-file=${file('serving-ca.crt')}`,
          '--use-service-account-credentials=false',
          '--leader-elect=false',
          '--bind-address=127.0.0.1',
          `--secure-port=${String(port)}`,
          `--cert-dir=${file('controller-manager-certs')}`,
          '--profiling=false',
        ],
      },
      this.options.stateDir,
    );
    this.controllerManager = manager;
    manager.start();
    await waitUntil(
      'kube-controller-manager /healthz',
      async () =>
        (await probe({ url: `https://127.0.0.1:${String(port)}/healthz`, insecure: true })) === 200,
      () => {
        manager.assertRunning();
      },
    );
  }

  private writeKubeconfigs(pki: Pki): void {
    writeFileSync(this.kubeconfigPath, this.kubeconfig('aio-local-admin', pki.admin), {
      mode: 0o600,
    });
    writeFileSync(
      join(this.dir, 'controller-manager.kubeconfig'),
      this.kubeconfig('system:kube-controller-manager', pki.controllerManager),
      { mode: 0o600 },
    );
  }

  /** A kubeconfig with embedded certificates, accepted by client-node, kubectl and Helm. */
  kubeconfig(user: string, credentials: KeyPairPem): string {
    const b64 = (pem: string): string => Buffer.from(pem).toString('base64');
    return dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'aio-local',
          cluster: {
            server: this.server,
            'certificate-authority-data': b64(this.requirePki().servingCa.certPem),
          },
        },
      ],
      users: [
        {
          name: user,
          user: {
            'client-certificate-data': b64(credentials.certPem),
            'client-key-data': b64(credentials.keyPem),
          },
        },
      ],
      contexts: [
        { name: 'aio-local', context: { cluster: 'aio-local', user, namespace: 'default' } },
      ],
      'current-context': 'aio-local',
    });
  }
}
