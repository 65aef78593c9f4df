import type { AgentPolicy } from '../api/resources.js';

export type ResponseLevel = 'None' | 'Alert' | 'Restrict' | 'Quarantine';

export interface Thresholds {
  alert?: number;
  restrict?: number;
  quarantine?: number;
}

/** Each level's threshold is the strictest (lowest) any of the agent's policies sets. */
export function thresholdsOf(policies: AgentPolicy[]): Thresholds {
  const pick = (key: keyof Thresholds): number | undefined => {
    const values = policies
      .map((p) => p.spec.behavior?.thresholds?.[key])
      .filter((v): v is number => v !== undefined);
    return values.length ? Math.min(...values) : undefined;
  };
  return { alert: pick('alert'), restrict: pick('restrict'), quarantine: pick('quarantine') };
}

/** The strongest response whose threshold the risk reaches. */
export function responseFor(risk: number, thresholds: Thresholds): ResponseLevel {
  if (thresholds.quarantine !== undefined && risk >= thresholds.quarantine) return 'Quarantine';
  if (thresholds.restrict !== undefined && risk >= thresholds.restrict) return 'Restrict';
  if (thresholds.alert !== undefined && risk >= thresholds.alert) return 'Alert';
  return 'None';
}
