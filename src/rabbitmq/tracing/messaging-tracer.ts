import {
  context,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import type { ConsumeMessage } from 'amqplib';
import { currentTraceHeaders } from './correlation-context.js';
import type { DeliveryOutcome } from '../failure/delivery-outcome.js';
import { messageIdOf, originalRoutingKey } from '../wire/message-identity.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_MESSAGING_BODY_SIZE,
  ATTR_MESSAGING_CONVERSATION_ID,
  ATTR_MESSAGING_DELIVERY_TAG,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_ROUTING_KEY,
  ATTR_MESSAGING_SUBSCRIPTION_NAME,
  ATTR_MESSAGING_SYSTEM,
  ATTR_WARREN_LINK,
  ATTR_WARREN_OUTCOME,
  ATTR_WARREN_RETRY_COUNT,
  MESSAGING_SYSTEM_RABBITMQ,
} from './messaging-attributes.js';
import { FIRST_ATTEMPT_HEADER, readTraceHeaders, TRACEPARENT_HEADER, type TraceHeaders, writeTraceHeaders } from '../wire/trace-headers.js';
import { isTracingEnabled } from './tracing-enabled.js';

/** The instrumentation scope of warren's spans. */
export const TRACER_NAME = 'warren';

/** What a publish span describes. */
export interface PublishSpanInput {
  exchange: string;
  routingKey: string;
  messageId: string;
  correlationId?: string;
  bodySize: number;
}

/** The publish span of an encoded event sent to `exchange` with `routingKey` (RabbitClient.publish and the outbox alike). */
export function publishSpanOf(
  exchange: string,
  routingKey: string,
  content: Buffer,
  properties: { messageId: string; correlationId?: string },
): PublishSpanInput {
  return { exchange, routingKey, messageId: properties.messageId, correlationId: properties.correlationId, bodySize: content.length };
}

/** What a process span describes. */
export interface ProcessSpanInput {
  queue: string;
  retryCount: number;
}

/**
 * Traces warren's messaging along the OpenTelemetry messaging semantic conventions: a PRODUCER
 * span per publish (`publish <exchange>`) whose context goes into the message headers
 * (`traceparent`, `tracestate`, `baggage`), and a CONSUMER span per delivery (`process <queue>`),
 * child of the producer's context found in the headers (warren's own publishes or any foreign
 * producer's), active while the handler runs, so whatever it publishes is its child. A retry's
 * process span links to the first attempt's.
 *
 * With no SDK registered (checked once, at construction) it creates nothing: a publish only
 * copies the trace headers that came with the request or message being handled (see
 * `runWithCorrelationId`), so traces stay joined across services that do trace.
 *
 * Request/reply uses the same two calls: `publish` around sending a request or a reply,
 * `process` around handling one.
 */
export class MessagingTracer {
  private readonly tracer: Tracer | undefined;

  constructor() {
    this.tracer = isTracingEnabled() ? trace.getTracer(TRACER_NAME) : undefined;
  }

  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /**
   * Runs `send` (which publishes the message with `headers`) inside a publish span, after writing
   * the trace headers into `headers`; the span ends when `send` settles (the broker's confirm).
   */
  publish<T>(input: PublishSpanInput, headers: Record<string, unknown>, send: () => Promise<T>): Promise<T> {
    if (!this.tracer) {
      carryTraceHeaders(headers);
      return send();
    }
    return this.tracedPublish(this.tracer, input, headers, send);
  }

  /**
   * Runs one delivery's processing inside a process span (when tracing): `run` gets the message's
   * trace headers to carry onto what the handler publishes, and returns the delivery's outcome,
   * which sets the span's status (a failure is an exception event and an error status).
   */
  process(
    message: ConsumeMessage,
    input: ProcessSpanInput,
    run: (carried?: TraceHeaders) => DeliveryOutcome | Promise<DeliveryOutcome>,
  ): DeliveryOutcome | Promise<DeliveryOutcome> {
    const carried = readTraceHeaders(message.properties.headers);
    // The no-SDK path: no span, no context, no promise (a synchronous handler's outcome comes
    // straight back); only the received headers go on.
    return this.tracer ? this.tracedProcess(this.tracer, message, input, () => run(carried)) : run(carried);
  }

  private async tracedPublish<T>(tracer: Tracer, input: PublishSpanInput, headers: Record<string, unknown>, send: () => Promise<T>): Promise<T> {
    const span = tracer.startSpan(`publish ${input.exchange}`, {
      kind: SpanKind.PRODUCER,
      attributes: {
        [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_RABBITMQ,
        [ATTR_MESSAGING_OPERATION_NAME]: 'publish',
        [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
        [ATTR_MESSAGING_DESTINATION_NAME]: input.exchange,
        [ATTR_MESSAGING_ROUTING_KEY]: input.routingKey,
        [ATTR_MESSAGING_MESSAGE_ID]: input.messageId,
        [ATTR_MESSAGING_BODY_SIZE]: input.bodySize,
        ...(input.correlationId === undefined ? {} : { [ATTR_MESSAGING_CONVERSATION_ID]: input.correlationId }),
      },
    });
    // A caller's own traceparent (headers option) is kept; otherwise the publish span's context goes on the wire.
    if (headers[TRACEPARENT_HEADER] === undefined) {
      propagation.inject(trace.setSpan(context.active(), span), headers);
      // An SDK without a W3C propagator registered writes nothing: the received headers still go on.
      carryTraceHeaders(headers);
    }
    try {
      return await send();
    } catch (error) {
      failSpan(span, error instanceof Error ? error.name : 'Error', error);
      throw error;
    } finally {
      span.end();
    }
  }

  private async tracedProcess(
    tracer: Tracer,
    message: ConsumeMessage,
    input: ProcessSpanInput,
    run: () => DeliveryOutcome | Promise<DeliveryOutcome>,
  ): Promise<DeliveryOutcome> {
    const headers = message.properties.headers;
    const correlationId: unknown = message.properties.correlationId;
    // A foreign producer's traceparent is continued exactly like warren's own.
    const parent = propagation.extract(ROOT_CONTEXT, headers ?? {});
    const span = tracer.startSpan(
      `process ${input.queue}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_RABBITMQ,
          [ATTR_MESSAGING_OPERATION_NAME]: 'process',
          [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
          [ATTR_MESSAGING_DESTINATION_NAME]: input.queue,
          [ATTR_MESSAGING_SUBSCRIPTION_NAME]: input.queue,
          [ATTR_MESSAGING_ROUTING_KEY]: originalRoutingKey(message),
          [ATTR_MESSAGING_DELIVERY_TAG]: message.fields.deliveryTag,
          [ATTR_MESSAGING_BODY_SIZE]: message.content.length,
          [ATTR_WARREN_RETRY_COUNT]: input.retryCount,
          // The id handlers de-duplicate on: the producer's, or the one derived for producers that set none.
          [ATTR_MESSAGING_MESSAGE_ID]: messageIdOf(message),
          ...(typeof correlationId === 'string' ? { [ATTR_MESSAGING_CONVERSATION_ID]: correlationId } : {}),
        },
        links: input.retryCount > 0 ? firstAttemptLink(headers) : undefined,
      },
      parent,
    );
    try {
      const outcome = await context.with(trace.setSpan(parent, span), run);
      span.setAttribute(ATTR_WARREN_OUTCOME, outcome.kind);
      if (outcome.kind !== 'ack') {
        failSpan(span, outcome.failure.type, { name: outcome.failure.type, message: outcome.failure.message });
        if (input.retryCount === 0) {
          rememberFirstAttempt(message, span);
        }
      }
      return outcome;
    } catch (error) {
      failSpan(span, error instanceof Error ? error.name : 'Error', error);
      throw error;
    } finally {
      span.end();
    }
  }
}

/** Copies the trace headers received with the request or message being handled (no-op when the headers have a traceparent). */
function carryTraceHeaders(headers: Record<string, unknown>): void {
  const carried = currentTraceHeaders();
  if (carried) {
    writeTraceHeaders(headers, carried);
  }
}

function failSpan(span: Span, type: string, error: unknown): void {
  const exception = error instanceof Error ? error : { name: type, message: (error as { message?: string })?.message ?? String(error) };
  span.recordException(exception);
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
}

/**
 * The retry copy carries the message's headers (see failure-copy), so the first attempt's span
 * context written here reaches every later attempt, which links to it. Written as a W3C
 * traceparent whatever propagator the app registered.
 */
function rememberFirstAttempt(message: ConsumeMessage, span: Span): void {
  const { traceId, spanId, traceFlags } = span.spanContext();
  const traceparent = `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
  message.properties.headers = { ...message.properties.headers, [FIRST_ATTEMPT_HEADER]: traceparent };
}

function firstAttemptLink(headers: Record<string, unknown> | undefined): Link[] | undefined {
  const first = readTraceHeaders({ [TRACEPARENT_HEADER]: headers?.[FIRST_ATTEMPT_HEADER] });
  if (!first) {
    return undefined;
  }
  const [, traceId, spanId, flags] = first.traceparent.split('-');
  const spanContext = { traceId, spanId, traceFlags: parseInt(flags, 16), isRemote: true };
  return isSpanContextValid(spanContext) ? [{ context: spanContext, attributes: { [ATTR_WARREN_LINK]: 'first-attempt' } }] : undefined;
}
