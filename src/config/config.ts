import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { LogLevel } from '../observability/logger.js';

/** Everything the operator can be told, parsed and checked in one place. */
export interface OperatorConfig {
  kubeconfig: string | undefined;
  /** The namespace the operator runs in: where its leader Lease lives. */
  namespace: string;
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
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Parses `500ms`, `15s`, `10m`, `1h` into milliseconds. */
export function parseDuration(value: string): number {
  const match = DURATION.exec(value.trim());
  if (!match?.[1] || !match[2]) {
    throw new InvalidArgumentError(`"${value}" is not a duration such as 500ms, 15s, 10m or 1h`);
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * unit);
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

function parseList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function parseLabels(value: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of parseList(value)) {
    const [key, label] = pair.split('=');
    if (!key || label === undefined) throw new InvalidArgumentError(`"${pair}" is not key=value`);
    labels[key] = label;
  }
  return labels;
}

function parseAddress(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  const port = Number(value.slice(at + 1));
  if (at < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`"${value}" is not host:port (e.g. 0.0.0.0:8080 or :8080)`);
  }
  return { host: value.slice(0, at) || '0.0.0.0', port };
}

function program(): Command {
  const option = (flags: string, description: string, env: string): Option =>
    new Option(flags, description).env(env);
  return new Command('agent-identity-operator')
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
        .default(15_000)
        .argParser(parseDuration),
    )
    .addOption(
      option('--renew-deadline <duration>', 'leader renew deadline', 'AIO_RENEW_DEADLINE')
        .default(10_000)
        .argParser(parseDuration),
    )
    .addOption(
      option('--retry-period <duration>', 'leader election retry period', 'AIO_RETRY_PERIOD')
        .default(2_000)
        .argParser(parseDuration),
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
        .default(600_000)
        .argParser(parseDuration),
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
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    });
}

interface RawOptions {
  kubeconfig?: string;
  namespace: string;
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
  };
}
