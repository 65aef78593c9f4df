import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { LogLevel } from '../observability/logger.js';
import {
  parseDuration,
  parsePositiveInt,
  parseRetryPeriod,
  parsePeriod,
  parseObjectRef,
  parseRecoveryWindow,
  parseWriteRate,
  parseList,
  parseLabels,
  parseAddress,
} from './parsers.js';

export { parseDuration } from './parsers.js';

/** Everything the operator can be told, parsed and checked in one place. */
export interface OperatorConfig {
  kubeconfig: string | undefined;
  /** The namespace the operator runs in: where its leader Lease lives. */
  namespace: string;
  /**
   * This replica's pod, when it runs in one: the leader labels it so the webhook Service
   * routes to the only replica that holds the behaviour state.
   */
  podName: string | undefined;
  leaderElection: {
    enabled: boolean;
    leaseName: string;
    identity: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  allowedClusterRoles: ReadonlySet<string>;
  workers: number;
  resyncMs: number;
  http: { host: string; port: number };
  logLevel: LogLevel;
  dns: { namespace: string; podLabels: Record<string, string> };
  /** Absent when no Vault address is configured: Vault-backed features are then off. */
  vault: VaultConfig | undefined;
  /** Absent when no AWS region is configured. */
  aws: AwsConfig | undefined;
  /** Scheduled rotations started per second at most, across all agents. */
  rotationsPerSecond: number;
  behavior: BehaviorConfig;
}

export interface BehaviorConfig {
  /** HTTPS endpoint for the authorization and audit webhooks and the decision API. */
  webhook:
    | { host: string; port: number; certFile: string; keyFile: string; clientCaFile: string }
    | undefined;
  /** TCP endpoint for the Vault / OpenBao socket audit device, and who may connect. */
  vaultAudit: { host: string; port: number; allowedSources: ReadonlySet<string> } | undefined;
  bucketMs: number;
  spanMs: number;
  evaluateEveryMs: number;
  statusIntervalMs: number;
  /** Learning window of agents whose policies set none. */
  defaultLearningWindowMs: number;
}

export interface VaultConfig {
  address: string;
  auth:
    | { method: 'token'; token: string }
    | { method: 'kubernetes'; role: string; mount: string; jwtFile: string };
  caCertFile: string | undefined;
  kvMount: string;
  kvPrefix: string;
  /** The Kubernetes auth mount agents log in through; the operator configures it. */
  agentAuthMount: string;
  agentTokenTtl: string;
  agentTokenMaxTtl: string;
  /** Prefixes AgentPolicy vault.paths may grant; `{namespace}` is the agent's namespace. */
  pathPrefixes: string[];
  /** How the operator points the agents' auth mount at this cluster; absent: leave it alone. */
  configureAuth:
    | {
        kubernetesHost: string | undefined;
        kubernetesCaFile: string | undefined;
        tokenReviewer: { namespace: string; name: string } | undefined;
      }
    | undefined;
}

export interface AwsConfig {
  region: string;
  endpoint: string | undefined;
  recoveryWindowDays: number;
  namePrefix: string;
  writesPerSecond: number;
}

function program(): Command {
  const option = (flags: string, description: string, env: string): Option =>
    new Option(flags, description).env(env);
  return (
    new Command('agent-identity-operator')
      .description(
        'Reconciles AgentIdentity and AgentPolicy resources into governed agent identities.',
      )
      .addOption(
        option(
          '--kubeconfig <path>',
          'kubeconfig file (default: in-cluster or $KUBECONFIG)',
          'AIO_KUBECONFIG',
        ),
      )
      .addOption(
        option('--namespace <name>', 'namespace the operator runs in', 'POD_NAMESPACE').default(
          'agent-identity-system',
        ),
      )
      .addOption(
        option(
          '--pod-name <name>',
          "this replica's pod; the leader labels it agentidentity.io/webhook-leader=true",
          'POD_NAME',
        ),
      )
      .addOption(
        option(
          '--no-leader-elect',
          'run without leader election (single replica only)',
          'AIO_NO_LEADER_ELECT',
        ),
      )
      .addOption(
        option('--lease-name <name>', 'leader election Lease name', 'AIO_LEASE_NAME').default(
          'agent-identity-operator',
        ),
      )
      .addOption(
        option('--lease-duration <duration>', 'leader lease duration', 'AIO_LEASE_DURATION')
          .default(15_000, '15s')
          .argParser(parsePeriod),
      )
      .addOption(
        option('--renew-deadline <duration>', 'leader renew deadline', 'AIO_RENEW_DEADLINE')
          .default(10_000, '10s')
          .argParser(parsePeriod),
      )
      .addOption(
        option('--retry-period <duration>', 'leader election retry period', 'AIO_RETRY_PERIOD')
          .default(2_000, '2s')
          .argParser(parseRetryPeriod),
      )
      .addOption(
        option(
          '--identity <id>',
          'this replica in the Lease (default: pod name + random)',
          'POD_NAME',
        ),
      )
      .addOption(
        option(
          '--allowed-cluster-roles <names>',
          'comma-separated ClusterRoles agents may be bound to',
          'AIO_ALLOWED_CLUSTER_ROLES',
        )
          .default([])
          .argParser(parseList),
      )
      .addOption(
        option('--workers <n>', 'concurrent reconciles per controller', 'AIO_WORKERS')
          .default(8)
          .argParser(parsePositiveInt),
      )
      .addOption(
        option('--resync <duration>', 'period to reconcile every object again', 'AIO_RESYNC')
          .default(600_000, '10m')
          .argParser(parsePeriod),
      )
      .addOption(
        option(
          '--http-address <host:port>',
          'address for /healthz, /readyz and /metrics',
          'AIO_HTTP_ADDRESS',
        )
          .default({ host: '0.0.0.0', port: 8080 }, '0.0.0.0:8080')
          .argParser(parseAddress),
      )
      .addOption(
        option('--log-level <level>', 'error, warn, info or debug', 'AIO_LOG_LEVEL')
          .choices(['error', 'warn', 'info', 'debug'])
          .default('info'),
      )
      .addOption(
        option(
          '--dns-namespace <name>',
          'namespace of the cluster DNS pods',
          'AIO_DNS_NAMESPACE',
        ).default('kube-system'),
      )
      .addOption(
        option('--dns-pod-labels <k=v,...>', 'labels of the cluster DNS pods', 'AIO_DNS_POD_LABELS')
          .default({ 'k8s-app': 'kube-dns' }, 'k8s-app=kube-dns')
          .argParser(parseLabels),
      )
      .addOption(
        option(
          '--vault-address <url>',
          'Vault / OpenBao address; enables Vault features',
          'VAULT_ADDR',
        ),
      )
      .addOption(
        option(
          '--vault-auth-method <method>',
          'how the operator logs in to Vault',
          'AIO_VAULT_AUTH_METHOD',
        )
          .choices(['token', 'kubernetes'])
          .default('token'),
      )
      .addOption(
        option(
          '--vault-token <token>',
          'Vault token (token auth); prefer --vault-token-file',
          'VAULT_TOKEN',
        ),
      )
      .addOption(
        option(
          '--vault-token-file <path>',
          'file holding the Vault token (token auth)',
          'AIO_VAULT_TOKEN_FILE',
        ),
      )
      .addOption(
        option(
          '--vault-role <role>',
          'Kubernetes-auth role of the operator itself',
          'AIO_VAULT_ROLE',
        ).default('agent-identity-operator'),
      )
      .addOption(
        option(
          '--vault-login-mount <path>',
          'auth mount the operator logs in through',
          'AIO_VAULT_LOGIN_MOUNT',
        ).default('kubernetes'),
      )
      .addOption(
        option(
          '--vault-jwt-file <path>',
          'ServiceAccount token for Kubernetes auth',
          'AIO_VAULT_JWT_FILE',
        ).default('/var/run/secrets/kubernetes.io/serviceaccount/token'),
      )
      .addOption(
        option('--vault-ca-file <path>', 'CA certificate to trust for Vault TLS', 'VAULT_CACERT'),
      )
      .addOption(
        option(
          '--vault-kv-mount <path>',
          'KV v2 mount holding agent credentials',
          'AIO_VAULT_KV_MOUNT',
        ).default('secret'),
      )
      .addOption(
        option(
          '--vault-kv-prefix <path>',
          'path prefix below the KV mount',
          'AIO_VAULT_KV_PREFIX',
        ).default('agents'),
      )
      .addOption(
        option(
          '--vault-agent-auth-mount <path>',
          'Kubernetes auth mount agents log in through',
          'AIO_VAULT_AGENT_AUTH_MOUNT',
        ).default('kubernetes'),
      )
      .addOption(
        option(
          '--vault-agent-token-ttl <duration>',
          'TTL of agent Vault tokens',
          'AIO_VAULT_AGENT_TOKEN_TTL',
        ).default('15m'),
      )
      .addOption(
        option(
          '--vault-agent-token-max-ttl <duration>',
          'maximum TTL of agent Vault tokens',
          'AIO_VAULT_AGENT_TOKEN_MAX_TTL',
        ).default('1h'),
      )
      .addOption(
        option(
          '--vault-path-prefixes <prefixes>',
          'comma-separated prefixes AgentPolicy vault.paths may grant ({mount}, {namespace} are replaced)',
          'AIO_VAULT_PATH_PREFIXES',
        )
          .default(
            ['{mount}/data/{namespace}/', '{mount}/metadata/{namespace}/'],
            '{mount}/data/{namespace}/,{mount}/metadata/{namespace}/',
          )
          .argParser(parseList),
      )
      .addOption(
        option(
          '--no-vault-configure-auth',
          "do not configure the agents' Kubernetes auth mount",
          'AIO_VAULT_NO_CONFIGURE_AUTH',
        ),
      )
      .addOption(
        option(
          '--vault-kubernetes-host <url>',
          "API server URL Vault uses to review tokens (default: this kubeconfig's)",
          'AIO_VAULT_KUBERNETES_HOST',
        ),
      )
      .addOption(
        option(
          '--vault-kubernetes-ca-file <path>',
          "API server CA for Vault (default: this kubeconfig's)",
          'AIO_VAULT_KUBERNETES_CA_FILE',
        ),
      )
      .addOption(
        option(
          '--vault-token-reviewer <namespace/name>',
          'ServiceAccount (with system:auth-delegator) whose tokens Vault uses for TokenReview',
          'AIO_VAULT_TOKEN_REVIEWER',
        ).argParser(parseObjectRef),
      )
      .addOption(
        option('--aws-region <region>', 'AWS region; enables AWS Secrets Manager', 'AWS_REGION'),
      )
      .addOption(
        option('--aws-endpoint <url>', 'AWS Secrets Manager endpoint override', 'AWS_ENDPOINT_URL'),
      )
      .addOption(
        option(
          '--aws-recovery-window-days <n>',
          'days a deleted secret can be restored (7-30)',
          'AIO_AWS_RECOVERY_WINDOW_DAYS',
        )
          .default(7)
          .argParser(parseRecoveryWindow),
      )
      .addOption(
        option(
          '--aws-secret-prefix <prefix>',
          'prefix of AWS secret names',
          'AIO_AWS_SECRET_PREFIX',
        ).default('agentidentity'),
      )
      .addOption(
        option(
          '--aws-writes-per-second <n>',
          'client-side limit on AWS write calls (AWS allows 50)',
          'AIO_AWS_WRITES_PER_SECOND',
        )
          .default(40)
          .argParser(parseWriteRate),
      )
      .addOption(
        option(
          '--rotations-per-second <n>',
          'scheduled rotations started per second at most',
          'AIO_ROTATIONS_PER_SECOND',
        )
          .default(20)
          .argParser(parsePositiveInt),
      )
      .addOption(
        option(
          '--webhook-address <host:port>',
          'HTTPS address of the authorization and audit webhooks and the decision API',
          'AIO_WEBHOOK_ADDRESS',
        ).argParser(parseAddress),
      )
      .addOption(
        option(
          '--webhook-cert-file <path>',
          'serving certificate (PEM) of the webhook endpoint',
          'AIO_WEBHOOK_CERT_FILE',
        ),
      )
      .addOption(
        option(
          '--webhook-key-file <path>',
          'private key (PEM) of the webhook endpoint',
          'AIO_WEBHOOK_KEY_FILE',
        ),
      )
      .addOption(
        option(
          '--webhook-client-ca-file <path>',
          'CA of the client certificate the API server presents to the webhooks',
          'AIO_WEBHOOK_CLIENT_CA_FILE',
        ),
      )
      .addOption(
        option(
          '--vault-audit-address <host:port>',
          'TCP address for the Vault socket audit device',
          'AIO_VAULT_AUDIT_ADDRESS',
        ).argParser(parseAddress),
      )
      .addOption(
        option(
          '--vault-audit-allowed-sources <ips>',
          'addresses allowed to send Vault audit entries',
          'AIO_VAULT_AUDIT_ALLOWED_SOURCES',
        )
          .default(['127.0.0.1', '::1'], '127.0.0.1,::1')
          .argParser(parseList),
      )
      .addOption(
        option(
          '--behavior-bucket <duration>',
          'size of a baseline learning bucket',
          'AIO_BEHAVIOR_BUCKET',
        )
          .default(60_000, '1m')
          .argParser(parseDuration),
      )
      .addOption(
        option('--behavior-window <duration>', 'span of the scored window', 'AIO_BEHAVIOR_WINDOW')
          .default(300_000, '5m')
          .argParser(parseDuration),
      )
      .addOption(
        option(
          '--behavior-evaluate-every <duration>',
          'how often agents with new activity are scored',
          'AIO_BEHAVIOR_EVALUATE_EVERY',
        )
          .default(250, '250ms')
          .argParser(parseRetryPeriod),
      )
      .addOption(
        option(
          '--behavior-status-interval <duration>',
          'how often risk and baseline are written to status',
          'AIO_BEHAVIOR_STATUS_INTERVAL',
        )
          .default(60_000, '1m')
          .argParser(parseDuration),
      )
      .addOption(
        option(
          '--behavior-learning-window <duration>',
          'learning window when no policy sets one',
          'AIO_BEHAVIOR_LEARNING_WINDOW',
        )
          .default(86_400_000, '24h')
          .argParser(parseDuration),
      )
      .exitOverride()
      // Errors are thrown to the caller, which prints them once; help still goes to stdout.
      .configureOutput({
        writeOut: (s) => process.stdout.write(s),
        writeErr: () => undefined,
        outputError: () => undefined,
      })
  );
}

interface RawOptions {
  kubeconfig?: string;
  namespace: string;
  podName?: string;
  leaderElect: boolean;
  leaseName: string;
  leaseDuration: number;
  renewDeadline: number;
  retryPeriod: number;
  identity?: string;
  allowedClusterRoles: string[];
  workers: number;
  resync: number;
  httpAddress: { host: string; port: number };
  logLevel: LogLevel;
  dnsNamespace: string;
  dnsPodLabels: Record<string, string>;
  vaultAddress?: string;
  vaultAuthMethod: 'token' | 'kubernetes';
  vaultToken?: string;
  vaultTokenFile?: string;
  vaultRole: string;
  vaultLoginMount: string;
  vaultJwtFile: string;
  vaultCaFile?: string;
  vaultKvMount: string;
  vaultKvPrefix: string;
  vaultAgentAuthMount: string;
  vaultAgentTokenTtl: string;
  vaultAgentTokenMaxTtl: string;
  vaultPathPrefixes: string[];
  vaultConfigureAuth: boolean;
  vaultKubernetesHost?: string;
  vaultKubernetesCaFile?: string;
  vaultTokenReviewer?: { namespace: string; name: string };
  awsRegion?: string;
  awsEndpoint?: string;
  awsRecoveryWindowDays: number;
  awsSecretPrefix: string;
  awsWritesPerSecond: number;
  rotationsPerSecond: number;
  webhookAddress?: { host: string; port: number };
  webhookCertFile?: string;
  webhookKeyFile?: string;
  webhookClientCaFile?: string;
  vaultAuditAddress?: { host: string; port: number };
  vaultAuditAllowedSources: string[];
  behaviorBucket: number;
  behaviorWindow: number;
  behaviorEvaluateEvery: number;
  behaviorStatusInterval: number;
  behaviorLearningWindow: number;
}

function behaviorConfig(raw: RawOptions): BehaviorConfig {
  let webhook: BehaviorConfig['webhook'];
  if (raw.webhookAddress) {
    if (!raw.webhookCertFile || !raw.webhookKeyFile || !raw.webhookClientCaFile) {
      throw new InvalidArgumentError(
        '--webhook-address needs --webhook-cert-file, --webhook-key-file and --webhook-client-ca-file (the webhooks are served over TLS only)',
      );
    }
    webhook = {
      ...raw.webhookAddress,
      certFile: raw.webhookCertFile,
      keyFile: raw.webhookKeyFile,
      clientCaFile: raw.webhookClientCaFile,
    };
  }
  if (raw.behaviorBucket < 1000 || raw.behaviorWindow < raw.behaviorBucket) {
    throw new InvalidArgumentError(
      '--behavior-bucket must be at least 1s and --behavior-window at least one bucket',
    );
  }
  return {
    webhook,
    vaultAudit: raw.vaultAuditAddress
      ? { ...raw.vaultAuditAddress, allowedSources: new Set(raw.vaultAuditAllowedSources) }
      : undefined,
    bucketMs: raw.behaviorBucket,
    spanMs: raw.behaviorWindow,
    evaluateEveryMs: raw.behaviorEvaluateEvery,
    statusIntervalMs: raw.behaviorStatusInterval,
    defaultLearningWindowMs: raw.behaviorLearningWindow,
  };
}

function vaultConfig(raw: RawOptions): VaultConfig | undefined {
  if (!raw.vaultAddress) return undefined;
  let auth: VaultConfig['auth'];
  if (raw.vaultAuthMethod === 'kubernetes') {
    auth = {
      method: 'kubernetes',
      role: raw.vaultRole,
      mount: raw.vaultLoginMount,
      jwtFile: raw.vaultJwtFile,
    };
  } else {
    const token =
      raw.vaultToken ??
      (raw.vaultTokenFile ? readFileSync(raw.vaultTokenFile, 'utf8').trim() : undefined);
    if (!token) {
      throw new InvalidArgumentError(
        '--vault-address needs --vault-token, --vault-token-file or --vault-auth-method kubernetes',
      );
    }
    auth = { method: 'token', token };
  }
  return {
    address: raw.vaultAddress,
    auth,
    caCertFile: raw.vaultCaFile,
    kvMount: raw.vaultKvMount,
    kvPrefix: raw.vaultKvPrefix,
    agentAuthMount: raw.vaultAgentAuthMount,
    agentTokenTtl: raw.vaultAgentTokenTtl,
    agentTokenMaxTtl: raw.vaultAgentTokenMaxTtl,
    pathPrefixes: raw.vaultPathPrefixes.map((p) => p.replaceAll('{mount}', raw.vaultKvMount)),
    configureAuth: raw.vaultConfigureAuth
      ? {
          kubernetesHost: raw.vaultKubernetesHost,
          kubernetesCaFile: raw.vaultKubernetesCaFile,
          tokenReviewer: raw.vaultTokenReviewer,
        }
      : undefined,
  };
}

/**
 * Parses flags (and their environment variables) into the operator's configuration. Throws
 * commander's error on bad input, with a message naming the flag.
 */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const saved = process.env;
  process.env = env;
  let raw: RawOptions;
  try {
    raw = program().parse(argv, { from: 'user' }).opts<RawOptions>();
  } finally {
    process.env = saved;
  }
  if (raw.renewDeadline >= raw.leaseDuration) {
    throw new InvalidArgumentError('--renew-deadline must be shorter than --lease-duration');
  }
  return {
    kubeconfig: raw.kubeconfig ?? env.KUBECONFIG,
    namespace: raw.namespace,
    podName: raw.podName,
    leaderElection: {
      enabled: raw.leaderElect,
      leaseName: raw.leaseName,
      identity: `${raw.identity ?? hostname()}_${randomBytes(4).toString('hex')}`,
      leaseDurationMs: raw.leaseDuration,
      renewDeadlineMs: raw.renewDeadline,
      retryPeriodMs: raw.retryPeriod,
    },
    allowedClusterRoles: new Set(raw.allowedClusterRoles),
    workers: raw.workers,
    resyncMs: raw.resync,
    http: raw.httpAddress,
    logLevel: raw.logLevel,
    dns: { namespace: raw.dnsNamespace, podLabels: raw.dnsPodLabels },
    vault: vaultConfig(raw),
    aws: raw.awsRegion
      ? {
          region: raw.awsRegion,
          endpoint: raw.awsEndpoint,
          recoveryWindowDays: raw.awsRecoveryWindowDays,
          namePrefix: raw.awsSecretPrefix,
          writesPerSecond: raw.awsWritesPerSecond,
        }
      : undefined,
    rotationsPerSecond: raw.rotationsPerSecond,
    behavior: behaviorConfig(raw),
  };
}
