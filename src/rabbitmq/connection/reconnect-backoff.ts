/**
 * Exponential backoff with "equal jitter", capped low: attempt n (0-based) waits a uniformly random
 * time in [c/2, c] with c = min(maxMs, baseMs × 2^n). The cap is what decides how soon the service
 * is back after the broker returns — whatever the outage length, the next attempt comes within
 * `maxMs` (1 s by default: back within ~2 s). The floor of c/2 bounds the attempts per connection
 * to 2 per c even at the cap (a stopped broker refuses a TCP connect in microseconds, so an attempt
 * costs the broker nothing until it is back), and the jitter spreads a fleet's reconnects out
 * instead of letting every pod hit a recovering broker at the same instant.
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
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
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
