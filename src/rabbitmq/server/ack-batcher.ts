import type { ConsumeMessage } from 'amqplib';

/** Where settlements go: the consumer's channel. */
export interface AckSink {
  ack(message: ConsumeMessage, allUpTo?: boolean): void;
  nack(message: ConsumeMessage, allUpTo?: boolean, requeue?: boolean): void;
}

/**
 * Settles the deliveries of one channel, coalescing the acks of a burst into one
 * `basic.ack multiple=true` frame (acks are held until the event loop's check phase, so
 * handlers that finish on the same I/O turn share a frame).
 *
 * Fewer frames is cheaper, but the reason this exists is a RabbitMQ bug
 * (rabbitmq-server#10327, still open): a quorum queue channel with more than ~32 commands
 * pending buffers the rest, and closing the channel drops that buffer — acks sent just before
 * a close are lost and the messages redelivered. A graceful shutdown finishes all in-flight
 * handlers at once and then closes: one frame instead of fifty keeps it under that limit.
 *
 * A burst is what settled in one turn, or more: with `batchSize` above 1, acks are held until that
 * many are pending (or ACK_DELAY_MS passed). A consumer draining a backlog then sends a handful
 * of frames per prefetch window instead of one per turn; when the broker is the bottleneck a turn
 * often carries one delivery, and acking each alone kept it busy with acks (three times the broker
 * CPU per message in the drain benchmark) and the consumer in that slow regime.
 *
 * `multiple=true` acks every unsettled delivery up to the tag, so every delivery of the
 * channel must be registered here (`delivered`) and settled here (`ack`/`nack`): a coalesced
 * ack only ever reaches below the oldest delivery still being handled.
 */
/** Longest an ack waits for its batch: short against any handler timeout or redelivery concern. */
export const ACK_DELAY_MS = 5;

export class AckBatcher {
  /** Delivered and not yet settled by us, in tag order (tags only grow on a channel). */
  private readonly open = new Map<number, ConsumeMessage>();
  /** Settled by an ack not yet sent. */
  private pending: ConsumeMessage[] = [];
  private scheduled?: NodeJS.Immediate;
  private delayed?: NodeJS.Timeout;

  constructor(
    private readonly sink: AckSink,
    /** Pending acks that are sent at the end of the turn; fewer wait up to ACK_DELAY_MS for more. */
    private readonly batchSize: () => number = () => 1,
  ) {}

  /** Registers a delivery before its handler runs. */
  delivered(message: ConsumeMessage): void {
    this.open.set(message.fields.deliveryTag, message);
  }

  ack(message: ConsumeMessage): void {
    this.open.delete(message.fields.deliveryTag);
    this.pending.push(message);
    if (this.pending.length >= this.batchSize()) {
      this.scheduled ??= setImmediate(() => this.flush());
    } else {
      this.delayed ??= setTimeout(() => this.flush(), ACK_DELAY_MS);
    }
  }

  /** Nacks go out at once, one by one: they are rare, and a requeue should not wait. */
  nack(message: ConsumeMessage, requeue: boolean): void {
    this.open.delete(message.fields.deliveryTag);
    this.sink.nack(message, false, requeue);
  }

  /** Sends every pending ack now (also before the channel closes). */
  flush(): void {
    this.cancelScheduled();
    if (this.pending.length === 0) {
      return;
    }
    const oldestOpen = this.open.keys().next().value ?? Number.POSITIVE_INFINITY;
    let cover: ConsumeMessage | undefined;
    let covered = 0;
    for (const message of this.pending) {
      const tag = message.fields.deliveryTag;
      if (tag < oldestOpen) {
        covered += 1;
        if (!cover || tag > cover.fields.deliveryTag) {
          cover = message;
        }
      } else {
        // A delivery older than this one is still being handled: a multiple ack would settle it.
        this.sink.ack(message, false);
      }
    }
    if (cover) {
      this.sink.ack(cover, covered > 1);
    }
    this.pending = [];
  }

  /** Forgets everything: the channel is gone and its delivery tags mean nothing any more. */
  reset(): void {
    this.cancelScheduled();
    this.open.clear();
    this.pending = [];
  }

  private cancelScheduled(): void {
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
    clearTimeout(this.delayed);
    this.delayed = undefined;
  }
}
