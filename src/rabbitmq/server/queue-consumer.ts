import type { Logger } from '@nestjs/common';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import { redactText } from '../connection/redact-url.js';
import type { RabbitPublisher } from '../publisher/rabbit-publisher.js';
import type { QueueType } from '../options/rabbitmq-options.interface.js';
import { HEADER_RETRY_COUNT } from '../rabbitmq.constants.js';
import { deadLetterQueueName } from '../topology/topology-names.js';
import { declareEventsExchange, declareHandlerQueue } from '../topology/topology.js';
import { deadLetterProperties } from './dead-letter-copy.js';
import type { DeliveryOutcome } from './delivery-outcome.js';
import { type DeliveryProcessor, originalRoutingKey } from './delivery-processor.js';
import type { HandlerDefinition } from './handler-registry.js';

export interface QueueConsumerDeps {
  connection: AmqpConnectionManager;
  publisher: RabbitPublisher;
  processor: DeliveryProcessor;
  exchange: string;
  queueType: QueueType;
  logger: Logger;
}

/**
 * Consumes one handler queue on its own channel with a bounded prefetch, and settles each
 * delivery only after its handler settled: ack on success; on failure, the dead-letter copy is
 * published and confirmed first, then the original acked, so no crash can lose it.
 */
export class QueueConsumer {
  private readonly channel: ChannelWrapper;
  /**
   * Bumped whenever the channel is re-created or the consumer stops. Delivery tags belong to
   * one channel: settling a message from an older generation would ack an unrelated message
   * (or kill the channel), so late results of stale deliveries are dropped; the broker
   * redelivers those messages anyway.
   */
  private generation = 0;
  private readonly unsettled = new Map<ConsumeMessage, Promise<void>>();
  private stopping?: Promise<void>;
  private started?: Promise<unknown>;

  constructor(
    readonly definition: HandlerDefinition,
    private readonly deps: QueueConsumerDeps,
  ) {
    this.channel = deps.connection.createChannel({
      name: definition.queue,
      confirm: false,
      json: false,
      setup: (channel: Channel) => this.setup(channel),
    });
    // Without a listener, a failed setup would be thrown as an unhandled 'error' event.
    this.channel.on('error', (error: Error) => {
      deps.logger.error(`channel of ${definition.queue} failed: ${redactText(error.message)}`);
    });
  }

  /** Starts consuming; resolves once the consumer is registered with the broker. */
  start(): Promise<unknown> {
    this.started ??= this.channel.consume(this.definition.queue, (message) => this.onMessage(message), {
      prefetch: this.definition.prefetch,
      noAck: false,
    });
    return this.started;
  }

  /** Resolves once the topology is declared and the consumer registered with the broker. */
  async waitForReady(): Promise<void> {
    await this.start();
    // consume() returns early while disconnected; 'connect' fires after setup and consumers.
    await this.channel.waitForConnect();
  }

  get inFlight(): number {
    return this.unsettled.size;
  }

  /**
   * Cancels the consumer, lets in-flight handlers finish within `graceMs`, requeues what is
   * left, closes the channel. Safe to call twice.
   */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= this.drain(graceMs);
    return this.stopping;
  }

  private async drain(graceMs: number): Promise<void> {
    try {
      await this.channel.cancelAll();
    } catch (error) {
      this.deps.logger.warn(`cancelling consumer of ${this.definition.queue} failed: ${redactText(String(error))}`);
    }
    await waitAtMost(Promise.allSettled([...this.unsettled.values()]), graceMs);
    if (this.unsettled.size > 0) {
      this.deps.logger.warn(
        `${this.unsettled.size} message(s) of ${this.definition.queue} still in flight after ${graceMs} ms: requeued`,
      );
      for (const message of this.unsettled.keys()) {
        this.channel.nack(message, false, true);
      }
      this.unsettled.clear();
    }
    this.generation += 1;
    try {
      await this.channel.close();
    } catch (error) {
      this.deps.logger.warn(`closing channel of ${this.definition.queue} failed: ${redactText(String(error))}`);
    }
  }

  private async setup(channel: Channel): Promise<void> {
    this.generation += 1;
    await declareEventsExchange(channel, this.deps.exchange);
    await declareHandlerQueue(channel, {
      exchange: this.deps.exchange,
      queue: this.definition.queue,
      pattern: this.definition.pattern,
      queueType: this.deps.queueType,
    });
  }

  private onMessage(message: ConsumeMessage): void {
    const generation = this.generation;
    const done = this.handle(message, generation).finally(() => this.unsettled.delete(message));
    this.unsettled.set(message, done);
  }

  private async handle(message: ConsumeMessage, generation: number): Promise<void> {
    const outcome = await this.deps.processor.process(message);
    try {
      await this.settle(message, outcome, generation);
    } catch (error) {
      // Settling failed (broker gone mid-way): the message stays unacked and comes back.
      this.deps.logger.error(`settling a message of ${this.definition.queue} failed: ${redactText(String(error))}`);
    }
  }

  private async settle(message: ConsumeMessage, outcome: DeliveryOutcome, generation: number): Promise<void> {
    if (outcome.kind === 'dead-letter') {
      const isCurrent = generation === this.generation;
      if (!isCurrent) {
        return;
      }
      this.deps.logger.warn(
        `dead-lettering message ${message.properties.messageId ?? '(no id)'} of ${this.definition.queue}: ` +
          `${outcome.failure.type}: ${outcome.failure.message}`,
      );
      try {
        await this.deps.publisher.publishRaw(
          '',
          deadLetterQueueName(this.definition.queue),
          message.content,
          deadLetterProperties(message, outcome.failure, {
            handler: this.definition.handlerName,
            originalRoutingKey: originalRoutingKey(message),
            retryCount: retryCount(message),
          }),
        );
      } catch (error) {
        // Not parked, so it must not be acked: requeue and let the delivery limit stop a loop.
        if (generation === this.generation) {
          this.channel.nack(message, false, true);
        }
        throw error;
      }
    }
    if (generation === this.generation) {
      this.channel.ack(message);
    }
  }
}

function retryCount(message: ConsumeMessage): number {
  const value = Number(message.properties.headers?.[HEADER_RETRY_COUNT] ?? 0);
  return Number.isFinite(value) ? value : 0;
}

async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
