import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
  type DescribeSecretCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import * as k8s from '@kubernetes/client-node';
import vault from 'node-vault';
import { env } from './fixture.js';
import { adminKubeConfig } from './helpers.js';

/** Every credential value the tests read back, for the leak check at the end. */
export const observedSecretValues = new Set<string>();

export function rootVault(): vault.client {
  const bao = env().openbao;
  if (!bao) throw new Error('OpenBao is not running');
  return vault({ apiVersion: 'v1', endpoint: bao.address, token: bao.rootToken });
}

export function vaultAs(token: string): vault.client {
  const bao = env().openbao;
  if (!bao) throw new Error('OpenBao is not running');
  return vault({ apiVersion: 'v1', endpoint: bao.address, token });
}

export function aws(): SecretsManagerClient {
  const moto = env().moto;
  if (!moto) throw new Error('moto is not running');
  return new SecretsManagerClient({
    endpoint: moto.endpoint,
    region: moto.region,
    credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey },
  });
}

export interface KvVersion {
  created_time: string;
  deletion_time: string;
  destroyed: boolean;
}

export async function kvMetadata(path: string): Promise<
  | {
      current_version: number;
      versions: Record<string, KvVersion>;
      custom_metadata: Record<string, string> | null;
    }
  | undefined
> {
  try {
    const result = (await rootVault().read(`secret/metadata/${path}`)) as {
      data: {
        current_version: number;
        versions: Record<string, KvVersion>;
        custom_metadata: Record<string, string> | null;
      };
    };
    return result.data;
  } catch (error) {
    if ((error as { response?: { statusCode?: number } }).response?.statusCode === 404)
      return undefined;
    throw error;
  }
}

export async function kvValue(path: string, version?: number): Promise<string | undefined> {
  try {
    const result = (await rootVault().read(
      `secret/data/${path}${version ? `?version=${String(version)}` : ''}`,
    )) as {
      data: { data: { value?: string } | null };
    };
    const value = result.data.data?.value;
    if (value) observedSecretValues.add(value);
    return value;
  } catch (error) {
    if ((error as { response?: { statusCode?: number } }).response?.statusCode === 404)
      return undefined;
    throw error;
  }
}

export async function awsDescribe(name: string): Promise<DescribeSecretCommandOutput | undefined> {
  try {
    return await aws().send(new DescribeSecretCommand({ SecretId: name }));
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

export async function awsValue(name: string, stage = 'AWSCURRENT'): Promise<string | undefined> {
  try {
    const result = await aws().send(
      new GetSecretValueCommand({ SecretId: name, VersionStage: stage }),
    );
    if (result.SecretString) observedSecretValues.add(result.SecretString);
    return result.SecretString;
  } catch (error) {
    const name_ = (error as { name?: string }).name;
    if (name_ === 'ResourceNotFoundException' || name_ === 'InvalidRequestException')
      return undefined;
    throw error;
  }
}

/** A fresh ServiceAccount token, as an agent's pod would get it. */
export async function serviceAccountToken(namespace: string, name: string): Promise<string> {
  const request = await adminKubeConfig()
    .makeApiClient(k8s.CoreV1Api)
    .createNamespacedServiceAccountToken({
      namespace,
      name,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
  return request.status?.token ?? '';
}

/** Logs in to OpenBao through Kubernetes auth; resolves the token or the HTTP status of the refusal. */
export async function kubernetesLogin(
  role: string,
  jwt: string,
): Promise<{ token?: string; status?: number }> {
  try {
    const result = (await rootVault().write(
      'auth/kubernetes/login',
      { role, jwt },
      { headers: {} },
    )) as {
      auth: { client_token: string };
    };
    return { token: result.auth.client_token };
  } catch (error) {
    return { status: (error as { response?: { statusCode?: number } }).response?.statusCode ?? 0 };
  }
}

/** The HTTP status of reading a KV secret with a token (200 when allowed). */
export async function readStatusWith(token: string, path: string): Promise<number> {
  try {
    const result = (await vaultAs(token).read(`secret/data/${path}`)) as {
      data: { data: { value?: string } };
    };
    if (result.data.data.value) observedSecretValues.add(result.data.data.value);
    return 200;
  } catch (error) {
    return (error as { response?: { statusCode?: number } }).response?.statusCode ?? 0;
  }
}
