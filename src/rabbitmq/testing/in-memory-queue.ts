import type { Logger } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import type { Acknowledger } from '../server/channel-acknowledger.js';
import type { DeliveryProcessor } from '../server/delivery-processor.js';
import { DeliverySettler, type InPlaceRetry } from '../server/delivery-settler.js';
import type { HandlerDefinition } from '../server/handler-registry.js';
import { messageIdOf } from '../wire/message-identity.js';
import type { HandlerResult, InPlaceRetryRecord } from './handler-result.js';
import { settleInMemory } from './in-memory-settlement.js';

/** What happened to one delivery, as the settler reported it through the keeper, the acknowledger and the retry wait. */
interface DeliveryRecord {
  message: ConsumeMessage;
  acked: boolean;
  /** The retry or dead-letter copy the keeper was given (built as production builds it). */
  kept?: HandlerResult;
  retriedInPlace: InPlaceRetryRecord[];
}

/**
 * One event handler's queue without a broker, settled by production's own DeliverySettler: the
 * handler's `concurrency` slots (deliveries beyond them wait in arrival order), and for an ordered
 * handler the one-at-a-time run and the in-place retries. Only the broker's side is replaced:
 * the failure copy and the ack are recorded instead of sent, and an in-place retry's delay is
 * recorded instead of waited.
 */
export class InMemoryQueue {
  private readonly settler: DeliverySettler;
  /** Deliveries not yet settled, by delivery tag (unique per harness delivery), in arrival order. */
  private readonly unsettled = new Map<number, DeliveryRecord>();

  constructor(
    readonly definition: HandlerDefinition,
    processor: Pick<DeliveryProcessor, 'process'>,
    options: ResolvedRabbitMQOptions,
    logger: Logger,
  ) {
    this.settler = new DeliverySettler(definition, {
      processor,
      keeper: {
        keep: (message, outcome) => {
          // `message` is the attempt as last handled (an ordered handler's retry count), the copy's source.
          this.recordOf(message).kept = settleInMemory(message, outcome, definition);
          return Promise.resolve(outcome.kind);
        },
      },
      // No consumer to pause here: a harness test sees each failure's result instead.
      killSwitch: { ...options.consume.killSwitch, enabled: false },
      metrics: { settled: () => undefined, handled: () => undefined },
      logger,
      consumer: { pause: () => Promise.resolve(), resume: () => Promise.resolve() },
      waitToRetry: ({ message }, retry) => {
        this.recordOf(message).retriedInPlace.push(inPlaceRecord(retry));
        return Promise.resolve();
      },
    });
  }

  /** Hands the message to the settler, as QueueConsumer does; resolves with how it was settled. */
  async deliver(message: ConsumeMessage): Promise<HandlerResult> {
    const waitedFor = [...this.unsettled.values()].map((earlier) => messageIdOf(earlier.message));
    const record: DeliveryRecord = { message, acked: false, retriedInPlace: [] };
    this.unsettled.set(message.fields.deliveryTag, record);
    const acknowledger: Acknowledger = {
      live: true,
      ack: () => (record.acked = true),
      nack: () => undefined, // only when a copy cannot be published: never in memory
    };
    try {
      await this.settler.handle({ message, acknowledger });
    } finally {
      this.unsettled.delete(message.fields.deliveryTag);
    }
    const result: HandlerResult | undefined =
      record.kept ?? (record.acked ? { queue: this.definition.queue, handler: this.definition.handlerName, kind: 'ack' } : undefined);
    if (!result) {
      // Production leaves such a delivery unacked: the broker hands it out again.
      throw new Error(
        `message ${messageIdOf(message)} of ${this.definition.queue} was neither acked nor parked (the harness closed while it retried in place)`,
      );
    }
    if (this.definition.ordered && result.kind !== 'retry' && result.kind !== 'replied') {
      const partition = this.definition.partitionOf?.index;
      return { ...result, retriedInPlace: record.retriedInPlace, waitedFor, ...(partition === undefined ? {} : { partition }) };
    }
    return result;
  }

  /** As a stopping consumer: in-place retries give up. */
  stop(): void {
    this.settler.stop();
  }

  private recordOf(message: ConsumeMessage): DeliveryRecord {
    const record = this.unsettled.get(message.fields.deliveryTag);
    if (!record) {
      throw new Error(`delivery ${message.fields.deliveryTag} of ${this.definition.queue} is not in flight`);
    }
    return record;
  }
}

function inPlaceRecord(retry: InPlaceRetry): InPlaceRetryRecord {
  return { attempt: retry.retry, delayMs: retry.delayMs, errorType: retry.failure.type, errorMessage: retry.failure.message };
}
