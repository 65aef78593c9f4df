import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { repoRoot } from '../../scripts/local-env/versions.js';
import { rootVault, serviceAccountToken } from './backends.js';
import { env } from './fixture.js';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteTestNamespace,
  eventually,
} from './helpers.js';
import { startOperator } from './operator-process.js';
import {
  condition,
  createIdentity,
  deleteIdentity,
  getIdentity,
  isActive,
  readOrUndefined,
  waitForIdentity,
} from './resources.js';
import { ensureVaultTokenReviewer } from './vault-reviewer.js';

const credentialVersion = (identity: {
  status?: { credentials?: { name: string; currentVersion?: number }[] };
}): number => identity.status?.credentials?.find((c) => c.name === 'key')?.currentVersion ?? 0;

describe('the operator in Vault', function () {
  this.timeout(120_000);
  let namespace: string;

  beforeEach(async function () {
    namespace = await createTestNamespace('vault');
  });

  afterEach(async function () {
    await deleteTestNamespace(namespace);
  });

  it('logs in with Kubernetes auth under the documented policy and logs in again before its token expires', async function () {
    const reviewer = await ensureVaultTokenReviewer();
    const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
    await core
      .createNamespacedServiceAccount({
        namespace: 'agent-identity-system',
        body: { metadata: { name: 'aio-operator' } },
      })
      .catch(() => undefined);
    const vault = rootVault();
    // Point the mount at the cluster as the operator would, so its very first login works.
    await vault
      .write('auth/kubernetes/config', {
        kubernetes_host: env().kube.server,
        kubernetes_ca_cert: env().kube.servingCaPem,
        token_reviewer_jwt: await serviceAccountToken(
          'agent-identity-system',
          'aio-vault-token-reviewer',
        ),
        disable_local_ca_jwt: true,
      })
      .catch(async () => {
        await vault.enableAuth({ mount_point: 'kubernetes', type: 'kubernetes' });
        await vault.write('auth/kubernetes/config', {
          kubernetes_host: env().kube.server,
          kubernetes_ca_cert: env().kube.servingCaPem,
          token_reviewer_jwt: await serviceAccountToken(
            'agent-identity-system',
            'aio-vault-token-reviewer',
          ),
          disable_local_ca_jwt: true,
        });
      });
    await vault.write('sys/policies/acl/aio-operator', {
      policy: readFileSync(join(repoRoot, 'docs', 'vault-operator-policy.hcl'), 'utf8'),
    });
    await vault.write('auth/kubernetes/role/aio-operator', {
      bound_service_account_names: ['aio-operator'],
      bound_service_account_namespaces: ['agent-identity-system'],
      token_policies: ['aio-operator'],
      token_ttl: '4s',
      token_max_ttl: '8s',
    });
    const jwtFile = join(env().stateDir, 'aio-operator.jwt');
    writeFileSync(jwtFile, await serviceAccountToken('agent-identity-system', 'aio-operator'), {
      mode: 0o600,
    });

    const operator = startOperator(['--no-leader-elect', '--vault-token-reviewer', reviewer], {
      extraEnv: {
        VAULT_TOKEN: '',
        AIO_VAULT_AUTH_METHOD: 'kubernetes',
        AIO_VAULT_ROLE: 'aio-operator',
        AIO_VAULT_JWT_FILE: jwtFile,
      },
    });
    try {
      await operator.waitForLog(/logged in to Vault/);
      await operator.waitForLog(/configured the Vault Kubernetes auth mount/);
      // Past the token's maximum TTL the operator must be on a second login.
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      const logins = operator.logs().filter((line) => line.includes('logged in to Vault'));
      assert.ok(
        logins.length >= 2,
        `logged in ${String(logins.length)} time(s) in 10s with an 8s maximum TTL`,
      );

      await createIdentity(namespace, 'late', {
        owner: 'o',
        purpose: 'p',
        credentials: [{ name: 'key', rotation: { interval: '1h' } }],
      });
      const identity = await waitForIdentity(
        namespace,
        'late',
        'Active with a credential',
        (i) => isActive(i) && credentialVersion(i) === 1,
      );
      assert.equal(condition(identity, 'VaultReady')?.status, 'True');
    } finally {
      await operator.stop();
    }
  });

  it('keeps the finalizer while OpenBao is down, says why, and completes once it is back', async function () {
    const reviewer = await ensureVaultTokenReviewer();
    const operator = startOperator(['--no-leader-elect', '--vault-token-reviewer', reviewer]);
    const bao = env().openbao;
    assert.ok(bao);
    try {
      await operator.waitForLog(/caches synced/);
      await createIdentity(namespace, 'patient', {
        owner: 'o',
        purpose: 'p',
        credentials: [{ name: 'key', rotation: { interval: '1h' } }],
      });
      await waitForIdentity(
        namespace,
        'patient',
        'Active',
        (i) => isActive(i) && credentialVersion(i) === 1,
      );

      await bao.stop();
      await deleteIdentity(namespace, 'patient');
      const blocked = await waitForIdentity(
        namespace,
        'patient',
        'offboarding blocked',
        (i) => condition(i, 'Ready')?.reason === 'OffboardingBlocked',
      );
      assert.equal(blocked.status?.phase, 'Terminating');
      assert.match(
        condition(blocked, 'Ready')?.message ?? '',
        /offboarding waits for a secret store: Vault .* failed \(unreachable\)/,
      );
      assert.ok(blocked.metadata.finalizers?.includes('agentidentity.io/cleanup'));

      await bao.start();
      await eventually(
        'the identity to be gone',
        async () =>
          (await readOrUndefined(() => getIdentity(namespace, 'patient'))) ? undefined : true,
        60_000,
      );
    } finally {
      await operator.stop();
      if (bao) await bao.start().catch(() => undefined);
    }
  });
});
