/**
 * A non-blocking rate budget: `take()` returns 0 when an action may start now, or how many
 * milliseconds to wait. Used to spread many due rotations over time without holding a
 * worker: the caller requeues the key for later instead of waiting.
 */
export class RateBudget {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perSecond;
    this.last = now();
  }

  take(): number {
    const now = this.now();
    this.tokens = Math.min(
      this.perSecond,
      this.tokens + ((now - this.last) / 1000) * this.perSecond,
    );
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    // Spread the waiters over the next second or two rather than all at the same instant.
    return Math.ceil(((1 - this.tokens) / this.perSecond) * 1000 + Math.random() * 1000);
  }
}
