import { randomInt } from 'node:crypto';
import type { CredentialSpec } from '../../../api/agent-identity.js';

const ALPHABETS: Record<NonNullable<CredentialSpec['alphabet']>, string> = {
  Alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  Hex: '0123456789abcdef',
  Base64Url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
  Printable:
    'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~',
};

/** Defaults applied in code (never in the CRD, so GitOps sees no injected fields). */
export function credentialDefaults(spec: CredentialSpec): {
  type: 'ApiKey' | 'Password';
  length: number;
  alphabet: keyof typeof ALPHABETS;
} {
  const type = spec.type ?? 'ApiKey';
  return {
    type,
    length: spec.length ?? (type === 'Password' ? 32 : 48),
    alphabet: spec.alphabet ?? (type === 'Password' ? 'Printable' : 'Alphanumeric'),
  };
}

/**
 * A new credential value from the operating system's CSPRNG. `randomInt` draws each
 * character without modulo bias.
 */
export function generateCredential(spec: CredentialSpec): string {
  const { length, alphabet } = credentialDefaults(spec);
  const characters = ALPHABETS[alphabet];
  let value = '';
  for (let i = 0; i < length; i++) value += characters.charAt(randomInt(characters.length));
  return value;
}
