import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { isObservable, lastValueFrom } from 'rxjs';
import type { MessageDecoder } from '../codec/message-decoder.js';
import { runWithCorrelationId, runWithLazyCorrelationId } from '../correlation/correlation-context.js';
import { DecodeError } from '../errors/decode.error.js';
import { isSafeCorrelationId } from '../correlation/correlation-id.js';
import { HandlerDeadlines } from './handler-deadlines.js';
import { HandlerTimeoutError } from '../errors/handler-timeout.error.js';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import { NoHandlerError } from '../errors/no-handler.error.js';
import { topicMatches } from '../topology/topic-pattern.js';
import type { DeliveryOutcome } from '../failure/delivery-outcome.js';
import { decideOnFailure } from '../failure/failure-policy.js';
import { describeFailure } from '../failure/failure-description.js';
import type { HandlerDefinition } from './handler-registry.js';
import { readEnvelope } from '../wire/nest-envelope.js';
import { originalRoutingKey } from '../wire/message-identity.js';
import { RabbitContext } from './rabbit-context.js';
import { readRetryCount } from '../wire/message-headers.js';

/**
 * Turns one delivery into an outcome: decode, check the message belongs to this handler, run
 * the Nest pipeline (guards, pipes, interceptors, handler) to the end within the handler's
 * timeout, and classify a failure. It never throws.
 */
export class DeliveryProcessor {
  private readonly deadlines: HandlerDeadlines;

  constructor(
    private readonly definition: HandlerDefinition,
    private readonly decoder: MessageDecoder,
  ) {
    this.deadlines = new HandlerDeadlines(definition.timeoutMs);
  }

  async process(message: ConsumeMessage): Promise<DeliveryOutcome> {
    const retries = readRetryCount(message);
    let data: unknown;
    let pattern: string;
    try {
      // Synchronous unless the body is compressed: no promise per message on the common path.
      const decoded = this.decoder.read(message);
      const envelope = readEnvelope(decoded instanceof Promise ? await decoded : decoded);
      pattern = envelope.pattern ?? originalRoutingKey(message);
      data = envelope.data;
      if (!this.handles(pattern)) {
        throw new NoHandlerError(`no handler for '${pattern}' on queue '${this.definition.queue}' (handles '${this.definition.pattern}')`);
      }
    } catch (error) {
      return decideOnFailure(asDecodeFailure(error), this.definition.retryPolicy, retries);
    }
    const context = new RabbitContext([message, pattern, this.definition.queue]);
    // Validated like X-Request-Id: a forged one (CRLF, kilobytes) is replaced, never copied into
    // onward events or log lines; the (possibly derived) messageId stands in if it is plain, else a fresh id.
    // The derived messageId (a SHA-256 of the body) is only computed if something reads the id.
    const producerId: unknown = message.properties.correlationId;
    const run = (): Promise<void> => this.invokeWithin(this.definition.timeoutMs, data, context);
    try {
      await (isSafeCorrelationId(producerId)
        ? runWithCorrelationId(producerId, run)
        : runWithLazyCorrelationId(() => [context.getMessageId()].find(isSafeCorrelationId) ?? randomUUID(), run));
      return { kind: 'ack' };
    } catch (error) {
      // Nest's pipeline hands us RpcException('handler failed'); FailureCaptureFilter kept the original for us.
      const original = context.capturedFailure()?.error ?? error;
      return decideOnFailure(original, this.definition.retryPolicy, retries);
    }
  }

  /**
   * A handler still running at the deadline is abandoned: its delivery is settled as a failure
   * now (freeing its prefetch slot) and whatever it does later is ignored.
   */
  private invokeWithin(timeoutMs: number, data: unknown, context: RabbitContext): Promise<void> {
    // One promise per message, and one timer per queue (HandlerDeadlines), not one per message.
    return new Promise<void>((resolve, reject) => {
      const done = this.deadlines.start(() => reject(new HandlerTimeoutError(timeoutMs)));
      this.invoke(data, context).then(
        () => {
          done();
          resolve();
        },
        (error: unknown) => {
          done();
          // The handler's own rejection, unchanged: the failure policy classifies whatever it threw.
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          reject(error);
        },
      );
    });
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

/**
 * Whatever goes wrong while reading a message (a codec's own exception, a stack overflow in a
 * team's codec) is about these bytes and happens again on every attempt: a DecodeError.
 */
function asDecodeFailure(error: unknown): unknown {
  if (error instanceof DecodeError || error instanceof MessageTooLargeError || error instanceof NoHandlerError) {
    return error;
  }
  const { type, message } = describeFailure(error);
  return new DecodeError(`could not decode the message: ${type}: ${message}`, { cause: error });
}
