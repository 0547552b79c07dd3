import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { isObservable, lastValueFrom } from 'rxjs';
import type { MessageDecoder } from '../codec/message-decoder.js';
import { runWithCorrelationId } from '../correlation/correlation-context.js';
import { HEADER_ORIGINAL_ROUTING_KEY } from '../rabbitmq.constants.js';
import { topicMatches } from '../topology/topic-pattern.js';
import type { DeliveryOutcome } from './delivery-outcome.js';
import { describeFailure } from './failure-description.js';
import type { HandlerDefinition } from './handler-registry.js';
import { readEnvelope } from './nest-envelope.js';
import { RabbitContext } from './rabbit-context.js';

/**
 * Turns one delivery into an outcome: decode, check the message belongs to this handler, run
 * the Nest pipeline (guards, pipes, interceptors, handler) to the end, and classify. It never
 * throws; every failure becomes a dead-letter outcome with a reason.
 */
export class DeliveryProcessor {
  constructor(
    private readonly definition: HandlerDefinition,
    private readonly decoder: MessageDecoder,
  ) {}

  async process(message: ConsumeMessage): Promise<DeliveryOutcome> {
    let body: unknown;
    try {
      body = this.decoder.decode(message);
    } catch (error) {
      return { kind: 'dead-letter', failure: describeFailure(error) };
    }
    const envelope = readEnvelope(body);
    const pattern = envelope.pattern ?? originalRoutingKey(message);
    if (!this.handles(pattern)) {
      return {
        kind: 'dead-letter',
        failure: {
          type: 'NoHandlerError',
          message: `no handler for '${pattern}' on queue '${this.definition.queue}' (handles '${this.definition.pattern}')`,
        },
      };
    }
    const context = new RabbitContext([message, pattern, this.definition.queue]);
    const correlationId = message.properties.correlationId ?? message.properties.messageId ?? randomUUID();
    try {
      await runWithCorrelationId(correlationId, () => this.invoke(envelope.data, context));
      return { kind: 'ack' };
    } catch (error) {
      // The exception filter replaced the error; the interceptor kept the original for us.
      const original = context.capturedFailure()?.error ?? error;
      return { kind: 'dead-letter', failure: describeFailure(original) };
    }
  }

  /** Runs the handler and waits until it settles, whatever it returns (value, Promise, Observable). */
  private async invoke(data: unknown, context: RabbitContext): Promise<void> {
    const result: unknown = await this.definition.callback(data, context);
    if (isObservable(result)) {
      // Nest returns the pipeline as a cold Observable: subscribing is what runs the handler.
      await lastValueFrom(result, { defaultValue: undefined });
    }
  }

  private handles(pattern: string): boolean {
    return pattern === this.definition.pattern || topicMatches(this.definition.pattern, pattern);
  }
}

/** Routing key the event was first published with (retries re-route via the default exchange). */
export function originalRoutingKey(message: ConsumeMessage): string {
  const header = message.properties.headers?.[HEADER_ORIGINAL_ROUTING_KEY];
  return typeof header === 'string' ? header : message.fields.routingKey;
}
