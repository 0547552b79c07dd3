import { randomUUID } from 'node:crypto';
import type { MessageProperties } from 'amqplib';
import { MessageDecoder } from '../codec/message-decoder.js';
import { JSON_CONTENT_TYPE } from '../rabbitmq.constants.js';
import { currentCorrelationId } from '../tracing/correlation-context.js';
import { RequestTimeoutError } from '../errors/request.errors.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import type { RequestOptions } from '../rpc/rabbit-requester.js';
import { replyOutcome } from '../rpc/reply-outcome.js';
import { buildRequest, DIRECT_REPLY_TO, requestTimeoutOf, unroutedRequestError } from '../rpc/request-message.js';
import type { RepliedResult } from './handler-result.js';
import { inMemoryDelivery } from './in-memory-message.js';
import type { InMemoryTransport } from './in-memory-transport.js';

/**
 * The caller's side of request/reply without a broker, for `harness.request()` and for handlers
 * that call `RabbitClient.request()` under the harness. The request is built by production's
 * `buildRequest` (Nest's packet, `replyTo`, `expiration`, the caller's correlation id) and its
 * reply read by production's `replyOutcome`, so a caller here gets what a caller on a broker gets:
 * the value, RemoteHandlerError (remote type and message), RequestTimeoutError, or
 * RequestNotSentError for a pattern no handler serves. Not simulated: the in-flight bound and a
 * dropped connection (there is none).
 */
/**
 * The harness requester's direct reply-to address. A broker rewrites `amq.rabbitmq.reply-to` in
 * a request into the address of the requester's channel, `amq.rabbitmq.reply-to.<pid>.<key>`
 * (the pid an Erlang term: version 131, NEW_PID_EXT, the node's atom, then numbers), and a
 * responder answers only an address of that form; so the harness delivers requests with one.
 */
export const IN_MEMORY_REPLY_TO = `${DIRECT_REPLY_TO}.${Buffer.concat([
  Buffer.from([131, 88, 119, 15]),
  Buffer.from('reply@in-memory'),
  Buffer.alloc(12),
]).toString('base64')}.${Buffer.from('warren-testing').toString('base64')}`;

/** What the decoder reads of a reply's properties: RequestProcessor's replies are uncompressed JSON. */
const REPLY_PROPERTIES = { contentType: JSON_CONTENT_TYPE, headers: {} } as unknown as MessageProperties;

export class InMemoryRequester {
  /** The decoder RabbitRequester reads replies with (the consume side's bounds). */
  private readonly decoder: MessageDecoder;

  constructor(
    private readonly options: ResolvedRabbitMQOptions,
    private readonly transport: InMemoryTransport,
  ) {
    this.decoder = MessageDecoder.forConsuming(options.encoding);
  }

  /**
   * Sends a request and resolves with the reply's value; rejects as RabbitRequester does.
   * The handler may run past the caller's timeout (its own `timeoutMs` ends it): the caller
   * has its RequestTimeoutError by then, and the reply that comes later is dropped.
   */
  request<T = unknown>(pattern: string, data: unknown, options: RequestOptions = {}): Promise<T> {
    let timeoutMs: number;
    let delivered: Promise<RepliedResult>;
    try {
      timeoutMs = requestTimeoutOf(options.timeoutMs, this.options.requests.timeoutMs);
      delivered = this.deliver(pattern, data, timeoutMs);
    } catch (error: unknown) {
      // A TypeError (timeout) or MessageTooLargeError, thrown by the shared request builders.
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RequestTimeoutError(pattern, timeoutMs)), timeoutMs);
      delivered.then(
        async (result) => {
          // A reply that could not be published never arrives: the caller waits out its timeout.
          if (!result.sent) {
            return;
          }
          clearTimeout(timer);
          const outcome = await replyOutcome(pattern, { content: result.content, properties: REPLY_PROPERTIES }, this.decoder);
          if ('error' in outcome) {
            reject(outcome.error);
          } else {
            resolve(outcome.value as T);
          }
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /**
   * Delivers a request to its handler's queue (`<exchange>.rpc.<pattern>`) and resolves once it is
   * answered, however long that takes. Throws (synchronously) what production refuses before
   * sending: an invalid timeout, a request over `encoding.maxMessageBytes`, a pattern no handler serves.
   */
  deliver(pattern: string, data: unknown, timeoutMs?: number): Promise<RepliedResult> {
    const { exchange, serviceName } = this.options;
    const [{ maxMessageBytes }, { timeoutMs: requestTimeoutMs }] = [this.options.encoding, this.options.requests];
    const request = buildRequest({
      pattern,
      data,
      id: randomUUID(),
      timeoutMs: requestTimeoutOf(timeoutMs, requestTimeoutMs),
      exchange,
      serviceName,
      maxMessageBytes,
      correlationId: currentCorrelationId(),
    });
    if (!this.transport.consumes(request.queue)) {
      throw unroutedRequestError(request.queue, pattern);
    }
    const message = inMemoryDelivery('', request.queue, request.content, { ...request.properties, replyTo: IN_MEMORY_REPLY_TO });
    return this.transport.deliverToQueue(request.queue, message) as Promise<RepliedResult>;
  }
}
