/** One handler run waiting for its deadline. */
interface Pending {
  readonly deadline: number;
  readonly expire: () => void;
}

/**
 * The timeout of every running handler of one queue, on ONE timer instead of a `setTimeout` per
 * message (each costs a timer object, an async resource and two timer-list operations, which
 * showed in the drain profile). All runs of a queue share one timeout, so deadlines grow in start
 * order: the timer is armed for the oldest run still pending; when it fires, every run past its
 * deadline expires and the timer is armed again for the next. A run that settles is removed in
 * O(1); expiry is as exact as with a timer per run.
 */
export class HandlerDeadlines {
  /** In start order, hence in deadline order. */
  private readonly pending = new Set<Pending>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {}

  /** Calls `expire` once `timeoutMs` have passed, unless the returned function is called first. */
  start(expire: () => void): () => void {
    const entry: Pending = { deadline: performance.now() + this.timeoutMs, expire };
    this.pending.add(entry);
    if (this.timer === undefined) {
      this.arm(entry.deadline);
    }
    return () => {
      this.pending.delete(entry);
      if (this.pending.size === 0) {
        // Nothing left to expire: an idle queue holds no timer (nor the process open).
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  private arm(deadline: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(0, deadline - performance.now()));
  }

  private fire(): void {
    this.timer = undefined;
    const now = performance.now();
    for (const entry of this.pending) {
      if (entry.deadline > now) {
        this.arm(entry.deadline);
        return;
      }
      this.pending.delete(entry);
      entry.expire();
    }
  }
}
