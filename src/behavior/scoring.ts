import type { Baseline } from '../api/agent-identity.js';
import type { Bucket } from './window.js';

/** A risk score from 0 to 1 and the evidence that drove it, in words a person can check. */
export interface RiskAssessment {
  risk: number;
  requestRate: number;
  evidence: string[];
}

interface Signal {
  score: number;
  weight: number;
  evidence: string;
}

const clamp = (n: number): number => Math.max(0, Math.min(1, n));
const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

function newItems(
  seen: string[] | undefined,
  used: Map<string, number>,
): { items: string[]; requests: number } {
  const known = new Set(seen ?? []);
  const items = [...used.keys()].filter((k) => !known.has(k));
  return { items, requests: items.reduce((sum, k) => sum + (used.get(k) ?? 0), 0) };
}

const list = (items: string[]): string =>
  items.length > 4
    ? `${items.slice(0, 4).join(', ')} and ${String(items.length - 4)} more`
    : items.join(', ');

/** Request rate far above the baseline: z-score with a floor on the spread. */
function rateSignal(baseline: Baseline, rate: number): Signal | undefined {
  const mean = baseline.rateMean ?? 0;
  const spread = Math.max(Math.sqrt(baseline.rateVariance ?? 0), mean * 0.25, 2);
  const z = (rate - mean) / spread;
  if (z < 4 || rate < 2 * mean) return undefined;
  return {
    score: clamp((z - 4) / 6 + 0.4),
    weight: 0.9,
    evidence: `request rate ${String(round(rate, 1))}/min is ${String(round(rate / Math.max(mean, 1), 1))}x its baseline of ${String(round(mean, 1))}/min`,
  };
}

/** Verbs, resources and namespaces it never used while its baseline was learned. */
function noveltySignals(baseline: Baseline, window: Bucket): Signal[] {
  const signals: Signal[] = [];
  const kinds: [string, string[] | undefined, Map<string, number>][] = [
    ['verbs', baseline.verbs, window.verbs],
    ['resources', baseline.resources, window.resources],
    ['namespaces', baseline.namespaces, window.namespaces],
  ];
  for (const [kind, seen, used] of kinds) {
    const fresh = newItems(seen, used);
    if (fresh.items.length === 0) continue;
    const share = fresh.requests / Math.max(window.requests, 1);
    signals.push({
      score: clamp(0.15 * fresh.items.length + 0.5 * share),
      weight: 0.6,
      evidence: `used ${kind} it never used before: ${list(fresh.items)} (${String(Math.round(share * 100))}% of its requests)`,
    });
  }
  return signals;
}

function outsideSignal(window: Bucket): Signal | undefined {
  if (window.outside === 0) return undefined;
  return {
    score: clamp(0.35 + 0.05 * window.outside),
    weight: 0.9,
    evidence: `${String(window.outside)} request(s) outside its declared capabilities: ${list(window.outsideReasons)}`,
  };
}

function errorSignal(baseline: Baseline, window: Bucket): Signal | undefined {
  const failures = window.errors + window.denied;
  const rate = failures / Math.max(window.requests, 1);
  const usual = (baseline.errorRate ?? 0) + (baseline.denyRate ?? 0);
  if (failures < 5 || rate < usual + 0.3) return undefined;
  return {
    score: clamp(rate - usual),
    weight: 0.5,
    evidence: `${String(Math.round(rate * 100))}% of its requests failed or were denied (usually ${String(Math.round(usual * 100))}%)`,
  };
}

function secretSignal(baseline: Baseline, window: Bucket): Signal | undefined {
  const known = new Set(baseline.secretPaths ?? []);
  const fresh = [...window.secretPaths].filter((p) => !known.has(p));
  if (fresh.length === 0) return undefined;
  return {
    score: clamp(0.3 * fresh.length),
    weight: 0.6,
    evidence: `read or wrote secret paths it never used before: ${list(fresh)}`,
  };
}

/**
 * Scores one window against the baseline. Each signal is a probability-like score times a
 * weight; they combine as independent evidence (1 - product of their complements), so one
 * strong signal or several moderate ones raise the risk, and none leaves it at 0. Before the
 * baseline is ready only requests outside the declared capabilities count.
 */
export function assess(
  baseline: Baseline,
  window: Bucket & { spanMs: number },
  ready: boolean,
): RiskAssessment {
  const requestRate = (window.requests * 60_000) / Math.max(window.spanMs, 1);
  const signals = [
    outsideSignal(window),
    ...(ready
      ? [
          rateSignal(baseline, requestRate),
          ...noveltySignals(baseline, window),
          errorSignal(baseline, window),
          secretSignal(baseline, window),
        ]
      : []),
  ].filter((s): s is Signal => s !== undefined);
  const risk = 1 - signals.reduce((product, s) => product * (1 - clamp(s.score * s.weight)), 1);
  const evidence = [...signals]
    .sort((a, b) => b.score * b.weight - a.score * a.weight)
    .map((s) => s.evidence);
  return { risk: round(risk), requestRate: round(requestRate, 1), evidence: evidence.slice(0, 8) };
}
