/**
 * The prefetch window of one queue, adapted to the bodies the broker actually delivers.
 *
 * The cap (`maxPrefetch`) is sized for bodies of at most `maxMessageBytes`, but the broker
 * delivers whatever a producer published, up to its own `max_message_size` (128 MiB by default
 * on RabbitMQ 3.x), before the consumer can refuse it: a full window of oversized bodies would
 * be `maxPrefetch × max_message_size` in memory. So the window starts at 1, doubles each time a
 * whole window's worth of deliveries has arrived with no body over `maxMessageBytes`, up to the
 * cap, and falls back to 1 at the first oversized body.
 *
 * `observe` runs once per delivery: once the window is at its cap and bodies stay small it is two
 * comparisons, with no allocation. A change of window (which the consumer applies by consuming
 * again) happens about log2(cap) times after start-up and after each oversized body.
 */
export class AdaptivePrefetch {
  private window = 1;
  /** Deliveries with a small body since the window last changed. */
  private smallSinceChange = 0;

  constructor(
    /** The largest window: the queue's prefetch, capped by the byte budget. */
    readonly maxPrefetch: number,
    /** Bodies larger than this shrink the window to 1. */
    private readonly maxMessageBytes: number,
  ) {}

  /** Unacked deliveries the broker may have sent to this queue's consumer. */
  get current(): number {
    return this.window;
  }

  /** Records a delivery with a body of `bytes`; true when the window changed. */
  observe(bytes: number): boolean {
    if (bytes > this.maxMessageBytes) {
      this.smallSinceChange = 0;
      if (this.window === 1) {
        return false;
      }
      this.window = 1;
      return true;
    }
    if (this.window >= this.maxPrefetch) {
      return false;
    }
    this.smallSinceChange += 1;
    if (this.smallSinceChange < this.window) {
      return false;
    }
    this.smallSinceChange = 0;
    this.window = Math.min(this.maxPrefetch, this.window * 2);
    return true;
  }
}
