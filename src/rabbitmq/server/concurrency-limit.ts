/**
 * At most `limit` holders at once; the rest wait in arrival order (so an ordered handler with
 * limit 1 runs its deliveries in the order they came). Separate from prefetch: prefetch bounds
 * what the broker may hand over (and the byte budget what that may weigh), this bounds how many
 * of those run the handler at the same time.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** Handlers running now. */
  get active(): number {
    return this.running;
  }

  /** Takes a free slot now if there is one (then `release()` it exactly once). */
  tryAcquire(): boolean {
    if (this.running < this.limit && this.waiting.length === 0) {
      this.running += 1;
      return true;
    }
    return false;
  }

  /** Resolves once a slot is free (at once if one is); `release()` it exactly once. */
  acquire(): Promise<void> {
    if (this.running < this.limit) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Frees a slot, handing it straight to the longest waiter if there is one. */
  release(): void {
    const next = this.waiting.shift();
    if (next) {
      next(); // the slot passes on: `running` stays the same
      return;
    }
    this.running = Math.max(0, this.running - 1);
  }
}
