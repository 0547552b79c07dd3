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
 * `multiple=true` acks every unsettled delivery up to the tag, so every delivery of the
 * channel must be registered here (`delivered`) and settled here (`ack`/`nack`): a coalesced
 * ack only ever reaches below the oldest delivery still being handled.
 */
export class AckBatcher {
  /** Delivered and not yet settled by us, in tag order (tags only grow on a channel). */
  private readonly open = new Map<number, ConsumeMessage>();
  /** Settled by an ack not yet sent. */
  private pending: ConsumeMessage[] = [];
  private scheduled?: NodeJS.Immediate;

  constructor(private readonly sink: AckSink) {}

  /** Registers a delivery before its handler runs. */
  delivered(message: ConsumeMessage): void {
    this.open.set(message.fields.deliveryTag, message);
  }

  ack(message: ConsumeMessage): void {
    this.open.delete(message.fields.deliveryTag);
    this.pending.push(message);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Nacks go out at once, one by one: they are rare, and a requeue should not wait. */
  nack(message: ConsumeMessage, requeue: boolean): void {
    this.open.delete(message.fields.deliveryTag);
    this.sink.nack(message, false, requeue);
  }

  /** Sends every pending ack now (also before the channel closes). */
  flush(): void {
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
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
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.open.clear();
    this.pending = [];
  }
}
