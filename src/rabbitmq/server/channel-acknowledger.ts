import type { Channel, ConsumeMessage } from 'amqplib';
import { AckBatcher } from './ack-batcher.js';

/**
 * Settles the deliveries of one consumer channel, on that channel only (amqp091-go's
 * `Acknowledger`). Delivery tags belong to the channel they came on: once it is gone (closed,
 * replaced after a reconnect, or retired by a stopping consumer) the broker has requeued its
 * unsettled deliveries, and settling one of them on another channel would ack an unrelated message
 * or kill that channel. So a retired acknowledger settles nothing: late results are dropped here,
 * and nobody has to count channel generations.
 */
export class ChannelAcknowledger implements Acknowledger {
  private retired = false;
  private readonly batcher: AckBatcher;

  constructor(channel: Channel, batchSize: () => number) {
    // amqplib throws on a channel that is closing: the broker requeues its deliveries anyway.
    this.batcher = new AckBatcher(
      {
        ack: (message, allUpTo) => {
          try {
            channel.ack(message, allUpTo);
          } catch {
            this.retire();
          }
        },
        nack: (message, allUpTo, requeue) => {
          try {
            channel.nack(message, allUpTo, requeue);
          } catch {
            this.retire();
          }
        },
      },
      batchSize,
    );
    channel.once('close', () => this.retire());
  }

  /** False once the channel is gone: the broker has requeued what was delivered on it. */
  get live(): boolean {
    return !this.retired;
  }

  /** Registers a delivery before its handler runs (a coalesced ack never covers it, see AckBatcher). */
  delivered(message: ConsumeMessage): void {
    this.batcher.delivered(message);
  }

  /** Acks the delivery, in one frame with the other acks of the same turn. */
  ack(message: ConsumeMessage): void {
    if (!this.retired) this.batcher.ack(message);
  }

  /** Rejects the delivery at once: back to its queue (`requeue`), else to the queue's dead-letter route. */
  nack(message: ConsumeMessage, requeue: boolean): void {
    if (!this.retired) this.batcher.nack(message, requeue);
  }

  /** Sends the pending acks now (before the channel is closed). */
  flush(): void {
    if (!this.retired) this.batcher.flush();
  }

  /** Nothing is settled through this channel any more; acks not yet sent are dropped with it. */
  retire(): void {
    this.retired = true;
    this.batcher.reset();
  }
}

/**
 * What settling a delivery needs of its channel (amqp091-go's 5-method `Acknowledger`, smaller):
 * ChannelAcknowledger on a broker, warren/testing's recording one in memory.
 */
export interface Acknowledger {
  /** False once the delivery can no longer be settled (its channel is gone: the broker requeued it). */
  readonly live: boolean;
  ack(message: ConsumeMessage): void;
  nack(message: ConsumeMessage, requeue: boolean): void;
}

/** A message as delivered on one channel, with that channel's acknowledger: it can be settled there only. */
export interface Delivery {
  readonly message: ConsumeMessage;
  readonly acknowledger: Acknowledger;
}
