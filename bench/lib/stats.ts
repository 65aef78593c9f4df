/** Percentiles of a list of numbers (milliseconds), for printing. */
export function percentiles(values: number[]): {
  p50: number;
  p99: number;
  max: number;
  count: number;
} {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  return {
    p50: round(at(0.5)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1) ?? 0),
    count: sorted.length,
  };
}
