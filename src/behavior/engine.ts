import type { Baseline } from '../api/agent-identity.js';
import { baselineReady, learn } from './baseline.js';
import { checkRequest, type Capabilities } from './capabilities.js';
import { resourceName, type Observation, type ResourceRequest } from './observation.js';
import { responseFor, type ResponseLevel, type Thresholds } from './response.js';
import { assess, type RiskAssessment } from './scoring.js';
import { ActivityWindow } from './window.js';

/** What the engine knows about an agent from its spec, policies and status. */
export interface AgentProfile {
  key: string;
  capabilities: Capabilities;
  thresholds: Thresholds;
  learningWindowMs: number;
  /** Set while the agent may not act at all. */
  contained: 'Quarantined' | 'Suspended' | 'Expired' | undefined;
  /** The baseline persisted in status, loaded once when the engine first sees the agent. */
  baseline: Baseline | undefined;
}

export type AuthzVerdict = { allow: 'no-opinion' } | { allow: 'deny'; reason: string };

export interface BehaviorSnapshot {
  agent: string;
  assessment: RiskAssessment;
  level: ResponseLevel;
  baseline: Baseline;
  baselineReady: boolean;
}

export interface EngineOptions {
  /** Size of a learning bucket (a minute in production). */
  bucketMs: number;
  /** Span of the scored window. */
  spanMs: number;
  evaluateEveryMs: number;
  now?: () => number;
  /** Called when an agent's response level changes (Quarantine at once, before the next request). */
  onResponse: (snapshot: BehaviorSnapshot, reason: string) => void;
  /** Called after each evaluation of an agent with activity, for status and metrics. */
  onEvaluated: (snapshot: BehaviorSnapshot) => void;
}

interface AgentState {
  profile: AgentProfile;
  window: ActivityWindow;
  baseline: Baseline;
  learnedUpTo: number;
  level: ResponseLevel;
  lastAuthzAt: number;
  /** Request timestamps of the last minute, for the rate ceiling. */
  recent: number[];
  dirty: boolean;
  assessment: RiskAssessment;
}

/**
 * Learns what each agent normally does and scores what it does now. The authorization
 * webhook calls `authorize` for every agent request (the hot path: no I/O, no allocation
 * beyond the observation); audit events, Vault audit entries and decision requests arrive
 * through `observe`. Hard limits and requests outside the declared capabilities are judged
 * at once, so a quarantine takes effect before the agent's next request.
 */
export class BehaviorEngine {
  private readonly agents = new Map<string, AgentState>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: EngineOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.evaluateDirty();
    }, this.options.evaluateEveryMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Adds or updates an agent; keeps its window and learned baseline. */
  setProfile(profile: AgentProfile): void {
    const existing = this.agents.get(profile.key);
    if (existing) {
      existing.profile = profile;
      if (profile.contained === undefined && existing.level === 'Quarantine')
        this.release(profile.key);
      return;
    }
    const now = this.now();
    const baseline = profile.baseline ?? { learningSince: new Date(now).toISOString(), minutes: 0 };
    this.agents.set(profile.key, {
      profile,
      window: new ActivityWindow(this.options.bucketMs, this.options.spanMs),
      baseline: {
        ...baseline,
        learningSince: baseline.learningSince ?? new Date(now).toISOString(),
      },
      learnedUpTo: now - (now % this.options.bucketMs),
      level: profile.contained === 'Quarantined' ? 'Quarantine' : 'None',
      lastAuthzAt: 0,
      recent: [],
      dirty: false,
      assessment: { risk: 0, requestRate: 0, evidence: [] },
    });
  }

  removeAgent(key: string): void {
    this.agents.delete(key);
  }

  has(key: string): boolean {
    return this.agents.has(key);
  }

  snapshot(key: string): BehaviorSnapshot | undefined {
    const state = this.agents.get(key);
    return state ? this.toSnapshot(state) : undefined;
  }

  /** A human released the quarantine: start from a clean window, keep the baseline. */
  release(key: string): void {
    const state = this.agents.get(key);
    if (!state) return;
    state.window.clear();
    state.recent = [];
    state.level = 'None';
    state.assessment = { risk: 0, requestRate: 0, evidence: [] };
    state.learnedUpTo = this.now();
  }

  /** The authorization webhook's question for one agent request. Synchronous and cheap. */
  authorize(key: string, request: ResourceRequest): AuthzVerdict {
    const state = this.agents.get(key);
    if (!state) return { allow: 'no-opinion' };
    const now = this.now();
    state.lastAuthzAt = now;
    if (state.level === 'Quarantine' || state.profile.contained) {
      const why =
        state.level === 'Quarantine' ? 'Quarantined' : (state.profile.contained ?? 'Quarantined');
      state.window.add(this.toObservation(key, request, now, 'denied'), true);
      return { allow: 'deny', reason: `the agent is ${why.toLowerCase()}` };
    }

    const verdict = checkRequest(state.profile.capabilities, request);
    const ceiling = state.profile.capabilities.requestsPerMinute;
    state.recent.push(now);
    while ((state.recent[0] ?? now) <= now - 60_000) state.recent.shift();
    const overCeiling = ceiling !== undefined && state.recent.length > ceiling;

    const denied = verdict.kind !== 'within' || overCeiling;
    state.window.add(this.toObservation(key, request, now, denied ? 'denied' : 'ok'), true);
    state.dirty = true;
    const hardLimit = overCeiling
      ? `more than ${String(ceiling)} requests per minute, its hard ceiling`
      : verdict.kind === 'forbidden' && verdict.reason;
    if (hardLimit) {
      this.hardViolation(state, hardLimit);
      return { allow: 'deny', reason: hardLimit };
    }
    if (verdict.kind === 'outside') {
      state.window.noteOutside(now, verdict.reason);
      this.evaluate(state, now, `outside its capabilities: ${verdict.reason}`);
      return { allow: 'deny', reason: verdict.reason };
    }
    return { allow: 'no-opinion' };
  }

  /** Audit events, Vault audit entries and decision requests. */
  observe(observation: Observation): void {
    const state = this.agents.get(observation.agent);
    if (!state) return;
    // The webhook already counted API requests it saw; audit then only adds outcomes.
    const countRequest =
      observation.source !== 'api' || this.now() - state.lastAuthzAt > 5 * 60_000;
    state.window.add(observation, countRequest);
    state.dirty = true;
  }

  /** Evaluates every agent with new activity; the timer calls it, tests and benches may too. */
  evaluateDirty(): void {
    const now = this.now();
    for (const state of this.agents.values()) {
      if (!state.dirty && state.level === 'None') continue;
      state.dirty = false;
      this.evaluate(state, now, 'its behaviour deviates from its baseline');
    }
  }

  private hardViolation(state: AgentState, reason: string): void {
    state.assessment = {
      risk: 1,
      requestRate: state.assessment.requestRate,
      evidence: [`hard limit crossed: ${reason}`, ...state.assessment.evidence].slice(0, 8),
    };
    this.applyLevel(state, responseFor(1, state.profile.thresholds), `hard limit: ${reason}`);
  }

  private evaluate(state: AgentState, now: number, reason: string): void {
    if (state.level === 'Quarantine') return;
    const ready = baselineReady(state.baseline, state.profile.learningWindowMs, now);
    state.assessment = assess(state.baseline, state.window.summary(now), ready);
    const level = responseFor(state.assessment.risk, state.profile.thresholds);
    this.learnClosedBuckets(state, now, ready, level);
    this.applyLevel(state, level, reason);
    this.options.onEvaluated(this.toSnapshot(state));
  }

  /** Folds finished buckets into the baseline while learning, or while behaviour is normal. */
  private learnClosedBuckets(
    state: AgentState,
    now: number,
    ready: boolean,
    level: ResponseLevel,
  ): void {
    if (ready && level !== 'None') return;
    for (const bucket of state.window.closedBuckets(now)) {
      if (bucket.start < state.learnedUpTo) continue;
      state.baseline = learn(state.baseline, bucket, this.options.bucketMs);
      state.learnedUpTo = bucket.start + this.options.bucketMs;
    }
  }

  private applyLevel(state: AgentState, level: ResponseLevel, reason: string): void {
    if (level === state.level) return;
    if (state.level === 'Quarantine') return; // only a person lifts a quarantine
    state.level = level;
    this.options.onResponse(this.toSnapshot(state), reason);
  }

  private toSnapshot(state: AgentState): BehaviorSnapshot {
    return {
      agent: state.profile.key,
      assessment: state.assessment,
      level: state.level,
      baseline: state.baseline,
      baselineReady: baselineReady(state.baseline, state.profile.learningWindowMs, this.now()),
    };
  }

  private toObservation(
    agent: string,
    request: ResourceRequest,
    at: number,
    outcome: Observation['outcome'],
  ): Observation {
    return {
      agent,
      at,
      source: 'api',
      verb: request.verb,
      resource: resourceName(request),
      ...(request.namespace ? { namespace: request.namespace } : {}),
      outcome,
    };
  }
}
