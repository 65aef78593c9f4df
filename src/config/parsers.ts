import { InvalidArgumentError } from 'commander';

// The flag parsers: each turns one flag's text into its value or refuses it with a message
// that names the flag's expected form.

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

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new InvalidArgumentError(`"${value}" is not a whole number from 1 to 1000`);
  }
  return n;
}

export function parseRetryPeriod(value: string): number {
  const ms = parseDuration(value);
  if (ms < 100) throw new InvalidArgumentError(`"${value}" is shorter than the minimum of 100ms`);
  return ms;
}

/** A period of at least a second (resync, lease timings). */
export function parsePeriod(value: string): number {
  const ms = parseDuration(value);
  if (ms < 1000) throw new InvalidArgumentError(`"${value}" is shorter than the minimum of 1s`);
  return ms;
}

export function parseObjectRef(value: string): { namespace: string; name: string } {
  const [namespace, name, extra] = value.split('/');
  if (!namespace || !name || extra !== undefined) {
    throw new InvalidArgumentError(`"${value}" is not namespace/name`);
  }
  return { namespace, name };
}

export function parseRecoveryWindow(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 7 || n > 30) {
    throw new InvalidArgumentError(`"${value}" is not a whole number of days from 7 to 30`);
  }
  return n;
}

export function parseWriteRate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 50) {
    throw new InvalidArgumentError(`"${value}" must be above 0 and at most 50 (the AWS limit)`);
  }
  return n;
}

export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export function parseLabels(value: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of parseList(value)) {
    const [key, label, extra] = pair.split('=');
    if (!key || !label || extra !== undefined)
      throw new InvalidArgumentError(`"${pair}" is not key=value`);
    labels[key] = label;
  }
  if (Object.keys(labels).length === 0) {
    // An empty selector would open DNS egress to every pod of the DNS namespace.
    throw new InvalidArgumentError('at least one key=value label is needed');
  }
  return labels;
}

export function parseAddress(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  const port = Number(value.slice(at + 1));
  if (at < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`"${value}" is not host:port (e.g. 0.0.0.0:8080 or :8080)`);
  }
  return { host: value.slice(0, at) || '0.0.0.0', port };
}
