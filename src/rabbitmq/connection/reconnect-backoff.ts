/**
 * Exponential backoff with full jitter: attempt n (0-based) waits a uniformly random time in
 * [0, min(maxMs, baseMs × 2^n)]. Full jitter spreads a fleet's reconnects out instead of letting
 * every pod hit a recovering broker at the same instant.
 */
export class ReconnectBackoff {
  private attempt = 0;
  private lastCeiling = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before the next attempt, in ms; each call counts one more failed attempt. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.lastCeiling = ceiling;
    this.attempt += 1;
    return Math.round(this.random() * ceiling);
  }

  /** The connection has been up for a while (not merely opened): start over from the base. */
  reset(): void {
    this.attempt = 0;
  }

  /** Upper bound of the last delay drawn: reaches `maxMs` once failures persist. */
  get ceiling(): number {
    return this.lastCeiling;
  }

  get attempts(): number {
    return this.attempt;
  }
}
