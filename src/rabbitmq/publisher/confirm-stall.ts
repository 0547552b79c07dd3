import type { Logger } from '@nestjs/common';

/**
 * Tells a hung broker from a slow one by the age of the oldest publish still waiting for its
 * confirm: a healthy broker answers in milliseconds, so one that has left a publish unanswered
 * for `thresholdMs` has stopped working (frozen process, stuck disk) although its TCP
 * connection looks fine and heartbeats will only notice after up to 2 × heartbeatSeconds. Logs one line when
 * a stall starts and one when confirms flow again, however often it is asked.
 */
export class ConfirmStall {
  private stalled = false;

  constructor(
    private readonly thresholdMs: number,
    private readonly logger: Pick<Logger, 'warn' | 'log'>,
  ) {}

  /** Whether the last `check` found confirms stalled. */
  get isStalled(): boolean {
    return this.stalled;
  }

  /**
   * How long the oldest unconfirmed publish has waited when that is at least the threshold,
   * else undefined. `oldestAt` is its write time (performance.now()), undefined when none waits.
   */
  check(oldestAt: number | undefined, now = performance.now()): number | undefined {
    const age = oldestAt === undefined ? 0 : now - oldestAt;
    const stalled = age >= this.thresholdMs;
    if (stalled !== this.stalled) {
      this.stalled = stalled;
      if (stalled) {
        this.logger.warn(`the broker has not confirmed a publish for ${Math.round(age)} ms: refusing new publishes until confirms flow again`);
      } else {
        this.logger.log('publish confirms no longer stalled: the broker answered, or the channel closed');
      }
    }
    return stalled ? age : undefined;
  }
}
