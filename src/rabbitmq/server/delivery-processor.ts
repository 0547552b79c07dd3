import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { isObservable, lastValueFrom, type Observable } from 'rxjs';
import type { MessageDecoder } from '../codec/message-decoder.js';
import { runWithCorrelationId, runWithLazyCorrelationId } from '../tracing/correlation-context.js';
import { DecodeError } from '../errors/decode.error.js';
import { isSafeCorrelationId } from '../tracing/correlation-id.js';
import { HandlerDeadlines } from './handler-deadlines.js';
import { HandlerTimeoutError } from '../errors/handler-timeout.error.js';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import { NoHandlerError } from '../errors/no-handler.error.js';
import { fitsRoutingKey, MAX_ROUTING_KEY_BYTES, topicMatches } from '../topology/topic-pattern.js';
import { MessagingTracer } from '../tracing/messaging-tracer.js';
import type { TraceHeaders } from '../wire/trace-headers.js';
import type { DeliveryOutcome, HandlerRun } from '../failure/delivery-outcome.js';
import { decideOnFailure } from '../failure/failure-policy.js';
import { describeFailure } from '../failure/failure-description.js';
import type { HandlerDefinition } from './handler-registry.js';
import { readEnvelope } from '../wire/nest-envelope.js';
import { originalRoutingKey } from '../wire/message-identity.js';
import { RabbitContext } from '../context/rabbit-context.js';
import { HEADER_REQUEST_CORRELATION_ID, readRetryCount } from '../wire/message-headers.js';

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

  /**
   * The delivery's outcome: a value when the handler returned synchronously (the common case of a
   * no-op or fire-and-forget handler: no promise at all per message), else a promise of it.
   */
  process(message: ConsumeMessage): DeliveryOutcome | Promise<DeliveryOutcome> {
    const run = this.run(message);
    return run instanceof Promise ? run.then(outcomeOf) : run.outcome;
  }

  /**
   * Same as process(), plus what request handling needs: the handler's result (the last value of
   * an Observable) on success, the original error on failure.
   */
  run(message: ConsumeMessage): HandlerRun | Promise<HandlerRun> {
    const retries = readRetryCount(message);
    let result: HandlerRun | undefined;
    const outcome = this.tracer.process(message, { queue: this.definition.queue, retryCount: retries }, (carried) => {
      const run = this.decodeAndHandle(message, retries, carried);
      if (run instanceof Promise) {
        return run.then((settled) => (result = settled).outcome);
      }
      result = run;
      return run.outcome;
    });
    return outcome instanceof Promise ? outcome.then((settled) => result ?? { outcome: settled }) : (result ?? { outcome });
  }

  private decodeAndHandle(message: ConsumeMessage, retries: number, carried: TraceHeaders | undefined): HandlerRun | Promise<HandlerRun> {
    let decoded: unknown;
    try {
      // Synchronous unless the body is compressed: no promise per message on the common path.
      decoded = this.decoder.read(message);
    } catch (error) {
      return this.unreadable(error, retries);
    }
    if (decoded instanceof Promise) {
      return decoded.then(
        (body: unknown) => this.openAndHandle(message, body, retries, carried),
        (error: unknown) => this.unreadable(error, retries),
      );
    }
    return this.openAndHandle(message, decoded, retries, carried);
  }

  /** Reads the envelope, checks the message is this handler's, runs the handler. */
  private openAndHandle(
    message: ConsumeMessage,
    decoded: unknown,
    retries: number,
    carried: TraceHeaders | undefined,
  ): HandlerRun | Promise<HandlerRun> {
    let data: unknown;
    let pattern: string;
    try {
      const envelope = readEnvelope(decoded);
      pattern = envelope.pattern ?? originalRoutingKey(message);
      data = envelope.data;
      if (!fitsRoutingKey(pattern)) {
        // Only a body can carry one: the broker's routing keys are short strings.
        throw new NoHandlerError(`the message's pattern is longer than ${MAX_ROUTING_KEY_BYTES} bytes (an AMQP routing key); no handler takes it`);
      }
      if (!this.handles(pattern)) {
        throw new NoHandlerError(`no handler for '${pattern}' on queue '${this.definition.queue}' (handles '${this.definition.pattern}')`);
      }
    } catch (error) {
      return this.unreadable(error, retries);
    }
    const context = new RabbitContext([message, pattern, this.definition.queue]);
    // Validated like X-Request-Id: a forged one (CRLF, kilobytes) is replaced, never copied into
    // onward events or log lines; the (possibly derived) messageId stands in if it is plain, else a fresh id.
    // A request's correlationId is its reply key; the caller's correlation id rides in a header.
    // The derived messageId (a SHA-256 of the body) is only computed if something reads the id.
    const given = [message.properties.headers?.[HEADER_REQUEST_CORRELATION_ID], message.properties.correlationId].find(isSafeCorrelationId);
    const run = (): unknown => this.invokeWithin(this.definition.timeoutMs, data, context);
    let value: unknown;
    try {
      value =
        given !== undefined
          ? runWithCorrelationId(given, run, carried)
          : runWithLazyCorrelationId(() => [context.getMessageId()].find(isSafeCorrelationId) ?? randomUUID(), run, carried);
    } catch (error) {
      return this.failed(error, context, retries);
    }
    if (value instanceof Promise) {
      return value.then(
        (settled: unknown): HandlerRun => ({ outcome: ACKED, value: settled }),
        (error: unknown) => this.failed(error, context, retries),
      );
    }
    return { outcome: ACKED, value };
  }

  /** A message that cannot be read (or is not this handler's) fails the same way on every attempt. */
  private unreadable(error: unknown, retries: number): HandlerRun {
    const failure = asDecodeFailure(error);
    return { outcome: decideOnFailure(failure, this.definition.retryPolicy, retries), error: failure };
  }

  private failed(error: unknown, context: RabbitContext, retries: number): HandlerRun {
    // Nest's pipeline hands us RpcException('handler failed'); FailureCaptureFilter kept the original for us.
    const original = context.capturedFailure()?.error ?? error;
    return { outcome: decideOnFailure(original, this.definition.retryPolicy, retries), error: original };
  }

  /**
   * Runs the handler (straight, or through Nest's pipeline when it holds more than warren's own
   * pipe and filter: DirectInvocation). A handler that returns a plain value is done: that value
   * comes back as is, no promise, no deadline. One still running (a Promise, an Observable) is
   * waited for until its deadline: then it is abandoned, its delivery settled as a failure now
   * (freeing its prefetch slot), and whatever it does later is ignored. Throws the handler's error.
   */
  private invokeWithin(timeoutMs: number, data: unknown, context: RabbitContext): unknown {
    const { direct, callback } = this.definition;
    const result: unknown = direct ? direct.invoke(data, context) : callback(data, context);
    if (!(result instanceof Promise) && !isObservable(result)) {
      return result;
    }
    // One promise per message, and one timer per queue (HandlerDeadlines), not one per message.
    return new Promise<unknown>((resolve, reject) => {
      const done = this.deadlines.start(() => reject(new HandlerTimeoutError(timeoutMs)));
      settle(result).then(
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

  private handles(pattern: string): boolean {
    return pattern === this.definition.pattern || topicMatches(this.definition.pattern, pattern);
  }
}

/** Settled by a value that is not an error: shared, never changed. */
const ACKED: DeliveryOutcome = Object.freeze({ kind: 'ack' });

function outcomeOf(run: HandlerRun): DeliveryOutcome {
  return run.outcome;
}

/** Waits for what a handler returned: a Promise, or an Observable (Nest's pipeline returns one cold: subscribing runs it). */
async function settle(result: Promise<unknown> | Observable<unknown>): Promise<unknown> {
  const value: unknown = await result;
  return isObservable(value) ? lastValueFrom(value, { defaultValue: undefined }) : value;
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
