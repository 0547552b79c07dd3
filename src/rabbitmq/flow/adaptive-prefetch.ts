/**
 * The prefetch window of one queue, adapted to the bodies the broker actually delivers.
 *
 * The cap (`maxPrefetch`) is sized for bodies of at most `encoding.maxMessageBytes`, but the broker
 * delivers whatever a producer published, up to its own `max_message_size` (128 MiB by default
 * on RabbitMQ 3.x), before the consumer can refuse it: a full window of oversized bodies would
 * be `maxPrefetch × max_message_size` in memory. So the window starts at 1 (a backlog already in
 * the queue is probed with one delivery), opens to the cap at the first body within
 * `encoding.maxMessageBytes`, and closes to 1 again at the first body over it.
 *
 * Why not grow step by step: a consumer's prefetch is fixed when it starts, and deliveries still
 * in flight from the one before take their share of the window, so each step would either wait for
 * slow handlers or leave the window smaller for good. One step keeps both costs to one delivery.
 *
 * `observe` runs once per delivery: two comparisons, no allocation.
 */
export class AdaptivePrefetch {
  private window = 1;

  constructor(
    /** The largest window: the queue's prefetch, capped by the byte budget. */
    readonly maxPrefetch: number,
    /** Bodies larger than this close the window to 1. */
    private readonly maxMessageBytes: number,
  ) {}

  /** Unacked deliveries the queue may have in flight now. */
  get current(): number {
    return this.window;
  }

  /** Records a delivery with a body of `bytes`; true when the window changed. */
  observe(bytes: number): boolean {
    const next = bytes > this.maxMessageBytes ? 1 : this.maxPrefetch;
    if (next === this.window) {
      return false;
    }
    this.window = next;
    return true;
  }
}
