import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import type { OperatorConfig } from './config/config.js';
import type { CredentialBackends } from './controllers/agent-identity/credentials/stores.js';
import { VaultAccess } from './controllers/agent-identity/vault-access.js';
import { VaultAuthConfigurer } from './controllers/vault-auth/configurer.js';
import type { Logger } from './observability/logger.js';
import { SecretsManagerStore } from './providers/aws/secrets-manager-store.js';
import { VaultIdentities } from './providers/vault/identity.js';
import { VaultKvStore } from './providers/vault/kv-store.js';
import { VaultConnection } from './providers/vault/vault-client.js';
import type { KubeApi } from './runtime/kube-api.js';

/** The secret stores and Vault identity management the configuration asks for. */
export interface Backends {
  credentials: CredentialBackends;
  vaultAccess: VaultAccess | undefined;
  authConfigurer: VaultAuthConfigurer | undefined;
  stop: () => void;
}

/** The API server URL and CA that Vault should use, from flags or from our own kubeconfig. */
function clusterTarget(
  kc: KubeConfig,
  host: string | undefined,
  caFile: string | undefined,
): { host: string; caCert: string } {
  const cluster = kc.getCurrentCluster();
  const caCert = caFile
    ? readFileSync(caFile, 'utf8')
    : cluster?.caData
      ? Buffer.from(cluster.caData, 'base64').toString('utf8')
      : cluster?.caFile
        ? readFileSync(cluster.caFile, 'utf8')
        : '';
  return { host: host ?? cluster?.server ?? 'https://kubernetes.default.svc', caCert };
}

export async function createBackends(
  config: OperatorConfig,
  kc: KubeConfig,
  api: KubeApi,
  logger: Logger,
): Promise<Backends> {
  const credentials: CredentialBackends = {};
  let vaultAccess: VaultAccess | undefined;
  let authConfigurer: VaultAuthConfigurer | undefined;
  let connection: VaultConnection | undefined;
  let aws: SecretsManagerStore | undefined;

  if (config.vault) {
    const vault = config.vault;
    connection = new VaultConnection({
      address: vault.address,
      auth: vault.auth,
      ...(vault.caCertFile ? { caCert: readFileSync(vault.caCertFile, 'utf8') } : {}),
      logger,
    });
    await connection.start();
    credentials.vault = {
      store: new VaultKvStore(connection, vault.kvMount),
      pathPrefix: vault.kvPrefix,
    };
    const identities = new VaultIdentities(connection, vault.agentAuthMount);
    vaultAccess = new VaultAccess(identities, {
      kvMount: vault.kvMount,
      kvPrefix: vault.kvPrefix,
      tokenTtl: vault.agentTokenTtl,
      tokenMaxTtl: vault.agentTokenMaxTtl,
      pathPrefixes: vault.pathPrefixes,
    });
    if (vault.configureAuth) {
      const target = clusterTarget(
        kc,
        vault.configureAuth.kubernetesHost,
        vault.configureAuth.kubernetesCaFile,
      );
      authConfigurer = new VaultAuthConfigurer(
        api,
        identities,
        { ...target, tokenReviewer: vault.configureAuth.tokenReviewer },
        logger,
      );
    }
  }
  if (config.aws) {
    aws = new SecretsManagerStore({
      region: config.aws.region,
      ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}),
      recoveryWindowDays: config.aws.recoveryWindowDays,
      writesPerSecond: config.aws.writesPerSecond,
    });
    credentials.aws = { store: aws, namePrefix: config.aws.namePrefix };
  }

  return {
    credentials,
    vaultAccess,
    authConfigurer,
    stop: () => {
      authConfigurer?.stop();
      connection?.stop();
      aws?.close();
    },
  };
}
