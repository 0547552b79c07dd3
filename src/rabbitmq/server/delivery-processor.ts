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
import { MessagingTracer } from '../tracing/messaging-tracer.js';
import type { TraceHeaders } from '../wire/trace-headers.js';
import type { DeliveryOutcome } from '../failure/delivery-outcome.js';
import { decideOnFailure } from '../failure/failure-policy.js';
import { describeFailure } from '../failure/failure-description.js';
import type { HandlerDefinition } from './handler-registry.js';
import { readEnvelope } from '../wire/nest-envelope.js';
import { originalRoutingKey } from '../wire/message-identity.js';
import { RabbitContext } from './rabbit-context.js';
import { HEADER_REQUEST_CORRELATION_ID, readRetryCount } from '../wire/message-headers.js';

/** One delivery's outcome, with the handler's value on success or the original error on failure. */
export interface HandlerRun {
  outcome: DeliveryOutcome;
  value?: unknown;
  error?: unknown;
}

/**
 * Turns one delivery into an outcome: decode, check the message belongs to this handler, run
 * the Nest pipeline (guards, pipes, interceptors, handler) to the end within the handler's
 * timeout, and classify a failure. It never throws.
 */
export class DeliveryProcessor {
  /** Spans per delivery when an OpenTelemetry SDK is registered; otherwise only carries the trace headers. */
  private readonly tracer = new MessagingTracer();
  private readonly deadlines: HandlerDeadlines;

  constructor(
    private readonly definition: HandlerDefinition,
    private readonly decoder: MessageDecoder,
  ) {
    this.deadlines = new HandlerDeadlines(definition.timeoutMs);
  }

  process(message: ConsumeMessage): Promise<DeliveryOutcome> {
    return this.run(message).then((result) => result.outcome);
  }

  /**
   * Same as process(), plus what request handling needs: the handler's result (the last value of
   * an Observable) on success, the original error on failure.
   */
  run(message: ConsumeMessage): Promise<HandlerRun> {
    const retries = readRetryCount(message);
    let result: HandlerRun | undefined;
    return this.tracer
      .process(message, { queue: this.definition.queue, retryCount: retries }, async (carried) => {
        result = await this.decodeAndHandle(message, retries, carried);
        return result.outcome;
      })
      .then((outcome) => result ?? { outcome });
  }

  private async decodeAndHandle(message: ConsumeMessage, retries: number, carried: TraceHeaders | undefined): Promise<HandlerRun> {
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
      const failure = asDecodeFailure(error);
      return { outcome: decideOnFailure(failure, this.definition.retryPolicy, retries), error: failure };
    }
    const context = new RabbitContext([message, pattern, this.definition.queue]);
    // Validated like X-Request-Id: a forged one (CRLF, kilobytes) is replaced, never copied into
    // onward events or log lines; the (possibly derived) messageId stands in if it is plain, else a fresh id.
    // A request's correlationId is its reply key; the caller's correlation id rides in a header.
    // The derived messageId (a SHA-256 of the body) is only computed if something reads the id.
    const given = [message.properties.headers?.[HEADER_REQUEST_CORRELATION_ID], message.properties.correlationId].find(isSafeCorrelationId);
    const run = (): Promise<unknown> => this.invokeWithin(this.definition.timeoutMs, data, context);
    try {
      const value = await (given !== undefined
        ? runWithCorrelationId(given, run, carried)
        : runWithLazyCorrelationId(() => [context.getMessageId()].find(isSafeCorrelationId) ?? randomUUID(), run, carried));
      return { outcome: { kind: 'ack' }, value };
    } catch (error) {
      // Nest's pipeline hands us RpcException('handler failed'); FailureCaptureFilter kept the original for us.
      const original = context.capturedFailure()?.error ?? error;
      return { outcome: decideOnFailure(original, this.definition.retryPolicy, retries), error: original };
    }
  }

  /**
   * A handler still running at the deadline is abandoned: its delivery is settled as a failure
   * now (freeing its prefetch slot) and whatever it does later is ignored.
   */
  private invokeWithin(timeoutMs: number, data: unknown, context: RabbitContext): Promise<unknown> {
    // One promise per message, and one timer per queue (HandlerDeadlines), not one per message.
    return new Promise<unknown>((resolve, reject) => {
      const done = this.deadlines.start(() => reject(new HandlerTimeoutError(timeoutMs)));
      this.invoke(data, context).then(
        (value) => {
          done();
          resolve(value);
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

  /**
   * Runs the handler (straight, or through Nest's pipeline when it holds more than warren's own
   * pipe and filter: DirectInvocation) and waits until it settles, whatever it returns (value,
   * Promise, Observable).
   */
  private async invoke(data: unknown, context: RabbitContext): Promise<unknown> {
    const { direct, callback } = this.definition;
    const result: unknown = await (direct ? direct.invoke(data, context) : callback(data, context));
    if (isObservable(result)) {
      // Nest returns the pipeline as a cold Observable: subscribing is what runs the handler.
      return lastValueFrom(result, { defaultValue: undefined });
    }
    return result;
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
