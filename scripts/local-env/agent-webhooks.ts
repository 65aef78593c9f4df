import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import type { ApiServerOptions } from './kubernetes.js';
import { createCertificateAuthority } from './pki.js';

/**
 * What a cluster administrator sets up so the API server sends agent requests to the
 * operator: a serving certificate for the operator's webhook endpoint, a client
 * certificate the API server presents, the structured authorization configuration (agents
 * only, failing closed), and the audit policy and webhook. deploy/cluster/ holds the same
 * files as templates for a real cluster.
 */
export interface AgentWebhookFiles {
  /** Operator flags: --webhook-cert-file, --webhook-key-file, --webhook-client-ca-file. */
  operatorArgs: string[];
  apiServer: ApiServerOptions;
}

export function authorizationConfiguration(kubeconfigFile: string): object {
  return {
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'AuthorizationConfiguration',
    authorizers: [
      {
        type: 'Webhook',
        name: 'agent-identity-operator',
        webhook: {
          timeout: '3s',
          subjectAccessReviewVersion: 'v1',
          matchConditionSubjectAccessReviewVersion: 'v1',
          // Agents only: a request of an agent ServiceAccount is denied when the operator
          // cannot be asked; every other user never reaches the webhook.
          failurePolicy: 'Deny',
          authorizedTTL: '5s',
          unauthorizedTTL: '1s',
          cacheAuthorizedRequests: true,
          cacheUnauthorizedRequests: false,
          connectionInfo: { type: 'KubeConfigFile', kubeConfigFile: kubeconfigFile },
          matchConditions: [
            { expression: "request.user.matches('^system:serviceaccount:[a-z0-9-]+:agent-')" },
          ],
        },
      },
      { type: 'Node', name: 'node' },
      { type: 'RBAC', name: 'rbac' },
    ],
  };
}

export const AUDIT_POLICY = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [
    // Every ServiceAccount at Metadata level (no bodies); the operator keeps agents' events.
    { level: 'Metadata', userGroups: ['system:serviceaccounts'] },
    { level: 'None' },
  ],
};

/** A webhook kubeconfig; `b64` encodes the PEM data (templates pass placeholders through). */
export function webhookKubeconfig(
  url: string,
  caPem: string,
  certPem: string,
  keyPem: string,
  b64: (s: string) => string = (s) => Buffer.from(s).toString('base64'),
): string {
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'operator', cluster: { server: url, 'certificate-authority-data': b64(caPem) } },
    ],
    users: [
      {
        name: 'kube-apiserver',
        user: { 'client-certificate-data': b64(certPem), 'client-key-data': b64(keyPem) },
      },
    ],
    contexts: [{ name: 'webhook', context: { cluster: 'operator', user: 'kube-apiserver' } }],
    'current-context': 'webhook',
  });
}

/** Creates certificates and files in `dir` for an operator webhook endpoint at `port`. */
export async function createAgentWebhookFiles(
  dir: string,
  port: number,
): Promise<AgentWebhookFiles> {
  const servingCa = await createCertificateAuthority('aio-webhook-serving-ca');
  const clientCa = await createCertificateAuthority('aio-webhook-client-ca');
  const serving = await servingCa.issue({
    commonName: 'agent-identity-operator',
    usage: 'server',
    ipAddresses: ['127.0.0.1'],
    dnsNames: ['localhost'],
  });
  const client = await clientCa.issue({ commonName: 'kube-apiserver', usage: 'client' });
  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  // The API server's client certificate, also as files: what a benchmark or curl presents.
  file('client.crt', client.certPem);
  file('client.key', client.keyPem);
  file('webhook-ca.crt', servingCa.certPem);
  const base = `https://127.0.0.1:${String(port)}`;
  const authzKubeconfig = file(
    'authz-webhook.kubeconfig',
    webhookKubeconfig(`${base}/authorize`, servingCa.certPem, client.certPem, client.keyPem),
  );
  const auditKubeconfig = file(
    'audit-webhook.kubeconfig',
    webhookKubeconfig(`${base}/audit`, servingCa.certPem, client.certPem, client.keyPem),
  );
  return {
    operatorArgs: [
      '--webhook-address',
      `127.0.0.1:${String(port)}`,
      '--webhook-cert-file',
      file('webhook.crt', serving.certPem),
      '--webhook-key-file',
      file('webhook.key', serving.keyPem),
      '--webhook-client-ca-file',
      file('webhook-client-ca.crt', clientCa.certPem),
    ],
    apiServer: {
      authorizationConfigFile: file(
        'authorization-config.yaml',
        dump(authorizationConfiguration(authzKubeconfig)),
      ),
      audit: {
        policyFile: file('audit-policy.yaml', dump(AUDIT_POLICY)),
        webhookConfigFile: auditKubeconfig,
        batchMaxWait: '250ms',
      },
    },
  };
}
