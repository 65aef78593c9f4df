/**
 * Removes what must never reach a log, an Event or a status from a message that came from a
 * store: Vault tokens, AWS access keys and request signatures, bearer tokens, and anything
 * that looks like a key=value secret. A second line of defence: provider errors are already
 * built from our own words and status codes.
 */
const PATTERNS: [RegExp, string][] = [
  [/\b(hvs|hvb|hvr|s|b|r)\.[A-Za-z0-9_-]{20,}/g, '[vault-token]'],
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '[aws-access-key]'],
  [/(Signature|X-Amz-Signature|X-Amz-Security-Token|Credential)=[^&\s,]+/gi, '$1=[redacted]'],
  [/(authorization|x-vault-token)\s*[:=]\s*\S+(\s+\S+)?/gi, '$1: [redacted]'],
  [/\bBearer\s+[A-Za-z0-9._~+/-]+=*/g, 'Bearer [redacted]'],
  [/\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/g, '[jwt]'],
  [/("?(value|secret|password|token|SecretString)"?\s*[:=]\s*)"[^"]*"/gi, '$1"[redacted]"'],
];

export function sanitize(message: string, extraSecrets: string[] = []): string {
  let clean = message;
  for (const secret of extraSecrets) {
    if (secret.length >= 8) clean = clean.split(secret).join('[redacted]');
  }
  for (const [pattern, replacement] of PATTERNS) clean = clean.replace(pattern, replacement);
  return clean.slice(0, 1024);
}
