import { type INestApplicationContext, Logger } from '@nestjs/common';
import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import type { ConsumeMessage } from 'amqplib';
import { MessageDecoder } from '../codec/message-decoder.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { PerMessageLog } from '../logging/per-message-log.js';
import type { ReplySender } from '../rpc/reply-publisher.js';
import { RequestProcessor } from '../rpc/request-processor.js';
import { DeliveryProcessor } from '../server/delivery-processor.js';
import { type HandlerDefinition, HandlerRegistry } from '../server/handler-registry.js';
import { topicMatches } from '../topology/topic-pattern.js';
import type { HandlerResult } from './handler-result.js';
import type { InMemoryPublisher } from './in-memory-publisher.js';
import { InMemoryPartitions } from './in-memory-partitions.js';
import { InMemoryQueue } from './in-memory-queue.js';
import { type InMemoryReply, repliedInMemory } from './in-memory-settlement.js';

/** A handler queue as the transport holds it. */
interface Target {
  definition: HandlerDefinition;
  processor: DeliveryProcessor;
  /** An event handler's: undefined for a request handler (answered by RequestProcessor). */
  events?: Pick<InMemoryQueue, 'deliver' | 'stop'>;
}

/**
 * A Nest transport strategy with no broker: handlers are registered exactly as RabbitServer
 * registers them (HandlerRegistry: queue names, prefetch and timeout checks) and every delivery
 * runs through the production DeliveryProcessor (decode, envelope, pattern check, the Nest
 * pipeline with pipes and interceptors, the timeout, failure classification); an event
 * handler's is settled by the production DeliverySettler (concurrency slots, an ordered
 * handler's one-at-a-time run and in-place retries, see InMemoryQueue; a handler ordered by key's
 * partitions, see InMemoryPartitions); a request handler's runs
 * inside the production RequestProcessor, which builds and publishes the reply. Only the
 * broker's part is simulated: routing by binding pattern (requests by queue name), and
 * recording the settlement and the reply instead of sending them.
 */
export class InMemoryTransport extends Server implements CustomTransportStrategy {
  override readonly propagatesEventHandlerErrors = true;
  protected override readonly logger = new Logger(InMemoryTransport.name);
  private readonly registry: HandlerRegistry;
  private readonly decoder: MessageDecoder;
  /** Per handler queue: its processor, and for an event handler where its events go (its queue, or its partitions when ordered by key). */
  private processors = new Map<string, Target>();

  constructor(
    private readonly options: ResolvedRabbitMQOptions,
    /** Replies are published through it, so its `failWith` fails them as RabbitPublisher would. */
    private readonly publisher?: Pick<InMemoryPublisher, 'publishRaw'>,
  ) {
    super();
    // The same registry and decoder as RabbitServer builds.
    this.registry = HandlerRegistry.fromOptions(options);
    this.decoder = MessageDecoder.forConsuming(options.encoding);
  }

  /** Same as RabbitServer.addHandler: one queue per handler; a @MessagePattern handler answers requests. */
  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler = false, extras: Record<string, unknown> = {}): void {
    this.registry.addNestHandler(this.normalizePattern(pattern as string), callback, isEventHandler, extras);
  }

  /** Has Nest bind this transport's handlers in `bind`, knowing what warren can know of `app` (HandlerRegistry.bindHandlers). */
  bindHandlers<T>(app: INestApplicationContext, bind: () => T): T {
    return this.registry.bindHandlers(app, bind);
  }

  listen(callback: (error?: unknown) => void): void {
    this.processors = new Map(
      this.registry.all().map((definition) => {
        const processor = new DeliveryProcessor(definition, this.decoder);
        return [definition.queue, { definition, processor, events: this.eventsOf(definition, processor) }];
      }),
    );
    callback();
  }

  /** The registered handlers (queue, pattern, handler name, prefetch, timeout). */
  definitions(): HandlerDefinition[] {
    return this.registry.all();
  }

  /**
   * Routes a message published to the events exchange as the broker would: a copy to every
   * handler queue whose binding pattern matches the routing key, each handled on its own.
   * Request queues are not bound to the exchange: no event reaches a request handler.
   */
  async deliverToMatching(message: ConsumeMessage): Promise<HandlerResult[]> {
    const targets = [...this.processors.values()].filter(
      ({ definition }) => definition.kind === 'event' && topicMatches(definition.pattern, message.fields.routingKey),
    );
    return Promise.all(targets.map((target) => this.handle(target, message)));
  }

  /** Whether a handler consumes `queue` (a request to a queue nobody declared is returned by the broker). */
  consumes(queue: string): boolean {
    return this.processors.has(queue);
  }

  /** Delivers a message to one queue through the default exchange (a retry copy coming back, a request). */
  async deliverToQueue(queue: string, message: ConsumeMessage): Promise<HandlerResult> {
    const target = this.processors.get(queue);
    if (!target) {
      throw new Error(`no handler consumes queue '${queue}'`);
    }
    return this.handle(target, message);
  }

  close(): void {
    for (const { events } of this.processors.values()) {
      events?.stop();
    }
    this.processors.clear();
  }

  on(): never {
    throw new Error('InMemoryTransport has no broker events');
  }

  unwrap<T>(): T {
    throw new Error('InMemoryTransport has no broker connection to unwrap');
  }

  private async handle(target: Target, message: ConsumeMessage): Promise<HandlerResult> {
    // Each queue gets its own copy, as from the broker: a handler must not see another's changes.
    const copy: ConsumeMessage = { ...message, properties: { ...message.properties, headers: { ...message.properties.headers } } };
    if (!target.events) {
      return this.answer(target.definition, target.processor, copy);
    }
    return target.events.deliver(copy);
  }

  /** How an event handler's deliveries are settled: as its QueueConsumer's DeliverySettler, or the PartitionRouter's partitions. */
  private eventsOf(definition: HandlerDefinition, processor: DeliveryProcessor): Target['events'] {
    if (definition.kind !== 'event') {
      return undefined;
    }
    const { partitioning } = definition;
    return partitioning
      ? new InMemoryPartitions({ ...definition, partitioning }, this.decoder, this.options, this.logger)
      : new InMemoryQueue(definition, processor, this.options, this.logger);
  }

  /** Production's RequestProcessor, its reply taken from the publish it makes (one processor per delivery, so replies never mix). */
  private async answer(definition: HandlerDefinition, processor: DeliveryProcessor, message: ConsumeMessage): Promise<HandlerResult> {
    let reply: InMemoryReply | undefined;
    const replies: ReplySender = {
      send: async (replyTo, content, properties) => {
        reply = { replyTo, correlationId: properties.correlationId, content, sent: false };
        try {
          await this.publisher?.publishRaw('', replyTo, content, properties);
        } catch {
          return 'not_sent';
        }
        reply.sent = true;
        return undefined;
      },
    };
    // Always an ack: a request is never retried nor parked (RequestProcessor), only answered.
    await new RequestProcessor({
      processor,
      replies,
      log: new PerMessageLog(this.logger),
      countDropped: () => undefined,
      queue: definition.queue,
      allowedReplyQueues: new Set(this.options.requests.allowedReplyQueues),
      maxMessageBytes: this.options.encoding.maxMessageBytes,
    }).process(message);
    return repliedInMemory(message, definition, reply);
  }
}
