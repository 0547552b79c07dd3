/**
 * Bounds shared by several environment variables. Node.js timers hold at most 2^31 − 1 ms
 * (~24.8 days): a longer delay is silently clamped to 1 ms (with a TimeoutOverflowWarning), so
 * `SHUTDOWN_DELAY_MS=99999999999` would mean "at once". Every duration is refused above it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Message for a duration over MAX_TIMER_MS, naming the variable. */
export function timerBoundMessage(variable: string): string {
  return `${variable} must be at most ${MAX_TIMER_MS} (about 24.8 days, the longest timer Node.js accepts)`;
}

/** Lowest explicit memory watermark: below it, the process's own baseline RSS keeps consumption paused. */
export const MIN_MEMORY_HIGH_WATERMARK_BYTES = 64 * 1024 * 1024;
