import { Logger } from '@nestjs/common';
import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import type { ConsumeMessage } from 'amqplib';
import { CodecRegistry } from '../codec/codec-registry.js';
import { MessageDecoder } from '../codec/message-decoder.js';
import { HandlerRegistrationError } from '../errors/handler-registration.error.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { JSON_CONTENT_TYPE } from '../rabbitmq.constants.js';
import { DeliveryProcessor } from '../server/delivery-processor.js';
import { type HandlerDefinition, HandlerRegistry } from '../server/handler-registry.js';
import { topicMatches } from '../topology/topic-pattern.js';
import type { HandlerResult } from './handler-result.js';
import { settleInMemory } from './in-memory-settlement.js';

/**
 * A Nest transport strategy with no broker: handlers are registered exactly as RabbitServer
 * registers them (HandlerRegistry: queue names, prefetch and timeout checks) and every delivery
 * runs through the production DeliveryProcessor (decode, envelope, pattern check, the Nest
 * pipeline with pipes and interceptors, the timeout, failure classification). Only the broker's
 * part is simulated: routing by binding pattern, and recording the settlement instead of
 * sending it.
 */
export class InMemoryTransport extends Server implements CustomTransportStrategy {
  override readonly propagatesEventHandlerErrors = true;
  protected override readonly logger = new Logger(InMemoryTransport.name);
  private readonly registry: HandlerRegistry;
  private readonly decoder: MessageDecoder;
  private processors = new Map<string, { definition: HandlerDefinition; processor: DeliveryProcessor }>();

  constructor(options: ResolvedRabbitMQOptions) {
    super();
    this.registry = new HandlerRegistry(options.serviceName, options.prefetch, options.handlerTimeoutMs, options.retry);
    // As RabbitServer: a message without content-type is JSON.
    this.decoder = new MessageDecoder(
      CodecRegistry.withBuiltins(options.codecs, { maxDepth: options.maxJsonDepth }),
      JSON_CONTENT_TYPE,
      options.maxMessageBytes,
    );
  }

  /** Same rules as RabbitServer.addHandler: one queue per handler, events only. */
  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler = false, extras: Record<string, unknown> = {}): void {
    const normalized = this.normalizePattern(pattern as string);
    if (!isEventHandler) {
      throw new HandlerRegistrationError(
        `@MessagePattern('${normalized}') is request-response, which warren does not carry: use @HandleEvent or @EventPattern`,
      );
    }
    callback.isEventHandler = true;
    callback.extras = extras;
    this.registry.register(normalized, callback, extras);
  }

  // Request/reply extension point: when RabbitServer serves @MessagePattern handlers (registering
  // them with their kind and wrapping their DeliveryProcessor in a processor that sends the reply),
  // mirror it here and in addHandler, handing that processor the InMemoryPublisher to record the
  // reply on, and map the recorded reply to a `reply` HandlerResult (handler-result.ts).
  listen(callback: (error?: unknown) => void): void {
    this.processors = new Map(
      this.registry.all().map((definition) => [definition.queue, { definition, processor: new DeliveryProcessor(definition, this.decoder) }]),
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
   */
  async deliverToMatching(message: ConsumeMessage): Promise<HandlerResult[]> {
    const targets = [...this.processors.values()].filter(({ definition }) => topicMatches(definition.pattern, message.fields.routingKey));
    return Promise.all(targets.map(({ definition, processor }) => this.handle(definition, processor, message)));
  }

  /** Delivers a message to one queue (a retry copy coming back through the default exchange). */
  async deliverToQueue(queue: string, message: ConsumeMessage): Promise<HandlerResult> {
    const target = this.processors.get(queue);
    if (!target) {
      throw new Error(`no handler consumes queue '${queue}'`);
    }
    return this.handle(target.definition, target.processor, message);
  }

  close(): void {
    this.processors.clear();
  }

  on(): never {
    throw new Error('InMemoryTransport has no broker events');
  }

  unwrap<T>(): T {
    throw new Error('InMemoryTransport has no broker connection to unwrap');
  }

  private async handle(definition: HandlerDefinition, processor: DeliveryProcessor, message: ConsumeMessage): Promise<HandlerResult> {
    // Each queue gets its own copy, as from the broker: a handler must not see another's changes.
    const copy: ConsumeMessage = { ...message, properties: { ...message.properties, headers: { ...message.properties.headers } } };
    const outcome = await processor.process(copy);
    return settleInMemory(copy, outcome, definition);
  }
}
