const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a Go duration string (`720h`, `1h30m`, `90s`) into milliseconds: the form the CRDs
 * accept and CEL's `duration()` compares.
 */
export function parseGoDuration(value: string): number {
  const parts = value.match(/(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g);
  if (!parts || parts.join('') !== value)
    throw new Error(`"${value}" is not a duration such as 720h or 90m`);
  return parts.reduce((total, part) => {
    const match = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(part);
    return total + Number(match?.[1]) * (UNITS[match?.[2] ?? ''] ?? 0);
  }, 0);
}
