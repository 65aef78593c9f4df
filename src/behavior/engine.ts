import type { Baseline } from '../api/agent-identity.js';
import { baselineReady, learn } from './baseline.js';
import { checkRequest, type Capabilities } from './capabilities.js';
import type { Observation, ResourceRequest } from './observation.js';
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

/** A hold may begin at most once per this many hold durations (5 s in 30 s by default). */
const HOLD_RATION = 6;

export type AuthzVerdict = { allow: 'no-opinion' } | { allow: 'deny'; reason: string };

export interface BehaviorSnapshot {
  agent: string;
  assessment: RiskAssessment;
  level: ResponseLevel;
  baseline: Baseline;
  baselineReady: boolean;
}

export interface EngineOptions {
  /**
   * How long a hard-limit request seen by the authorization webhook holds the agent before
   * the audit log confirms it really happened (the API server's audit batch wait, plus margin).
   */
  holdMs?: number;
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
  /**
   * Until when the webhook denies every request of the agent: set by a hard-limit request
   * the webhook was asked about, lifted when it expires or when the audit log confirms it
   * (then it becomes a quarantine).
   */
  holdUntil: number;
  holdReason: string;
  /** When the last hold began: holds the audit log does not confirm are rationed. */
  lastHoldAt: number;
  /** Audited request timestamps of the last minute, for the rate ceiling (at most ceiling + 1). */
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
      // A profile from an older cache must not lift a quarantine: only `release` does.
      existing.profile = profile;
      if (profile.contained === 'Quarantined') existing.level = 'Quarantine';
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
      holdUntil: 0,
      holdReason: '',
      lastHoldAt: Number.NEGATIVE_INFINITY,
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
    state.holdUntil = 0;
    state.lastHoldAt = Number.NEGATIVE_INFINITY;
    state.assessment = { risk: 0, requestRate: 0, evidence: [] };
    state.learnedUpTo = this.now();
  }

  /**
   * The authorization webhook's question for one agent request. Synchronous and cheap, and
   * it changes no score: the API server also asks it on behalf of SubjectAccessReviews,
   * which look exactly like requests but are only questions, so anyone allowed to create
   * one could otherwise quarantine any agent. What the agent really did arrives through the
   * audit webhook (`observe`). A hard-limit request in the agent's own namespace (the only
   * place its bindings give it anything) holds the agent briefly so that its next request is
   * denied while the audit log confirms it.
   */
  authorize(key: string, request: ResourceRequest): AuthzVerdict {
    const state = this.agents.get(key);
    if (!state) return { allow: 'no-opinion' };
    if (state.level === 'Quarantine' || state.profile.contained) {
      const why =
        state.level === 'Quarantine' ? 'Quarantined' : (state.profile.contained ?? 'Quarantined');
      return { allow: 'deny', reason: `the agent is ${why.toLowerCase()}` };
    }
    const now = this.now();
    if (state.holdUntil > now) return { allow: 'deny', reason: state.holdReason };
    const verdict = checkRequest(state.profile.capabilities, request);
    if (verdict.kind === 'within') return { allow: 'no-opinion' };
    const holdMs = this.options.holdMs ?? 5_000;
    // At most one hold per HOLD_RATION hold durations: a hold that is only a question (a
    // review) lapses unconfirmed, and whoever keeps asking must not keep the agent denied.
    if (
      verdict.kind === 'forbidden' &&
      request.namespace === state.profile.capabilities.namespace &&
      now - state.lastHoldAt >= holdMs * HOLD_RATION
    ) {
      state.holdUntil = now + holdMs;
      state.lastHoldAt = now;
      state.holdReason = `held after a request crossing a hard limit: ${verdict.reason}`;
    }
    return { allow: 'deny', reason: verdict.reason };
  }

  /**
   * Audit events, Vault audit entries and decision requests: what the agent really did.
   * API requests are judged here against the capabilities and the hard limits.
   */
  observe(observation: Observation): void {
    const state = this.agents.get(observation.agent);
    // A quarantined agent is not scored any more; counting its requests would only grow memory.
    if (!state || state.level === 'Quarantine') return;
    const { request } = observation;
    const verdict = request ? checkRequest(state.profile.capabilities, request) : undefined;
    const outside = verdict?.kind === 'outside';
    state.window.add(outside ? { ...observation, outsideCapabilities: true } : observation, true);
    state.dirty = true;
    if (observation.source === 'api' && this.overCeiling(state, observation.at)) {
      const ceiling = state.profile.capabilities.requestsPerMinute ?? 0;
      this.hardViolation(
        state,
        `more than ${String(ceiling)} requests per minute, its hard ceiling`,
      );
    } else if (verdict?.kind === 'forbidden') {
      this.hardViolation(state, verdict.reason);
    } else if (verdict?.kind === 'outside') {
      state.window.noteOutside(observation.at, verdict.reason);
      this.evaluate(state, this.now(), `outside its capabilities: ${verdict.reason}`);
    }
  }

  /** Records one audited request against the rate ceiling; true when it is crossed. */
  private overCeiling(state: AgentState, at: number): boolean {
    const ceiling = state.profile.capabilities.requestsPerMinute;
    if (ceiling === undefined) return false;
    state.recent.push(at);
    while ((state.recent[0] ?? at) <= at - 60_000 || state.recent.length > ceiling + 1)
      state.recent.shift();
    return state.recent.length > ceiling;
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
    // Hard limits are the rules that must never be broken: they quarantine whatever the
    // thresholds say.
    state.holdUntil = 0;
    this.applyLevel(state, 'Quarantine', `hard limit: ${reason}`);
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
}
