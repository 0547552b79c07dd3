import type { Options } from 'amqplib';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import { RequestNotSentError } from '../errors/request.errors.js';
import { JSON_CONTENT_TYPE, MAX_TIMER_MS } from '../rabbitmq.constants.js';
import { requestQueueName } from '../topology/topology-names.js';
import { HEADER_REQUEST_CORRELATION_ID } from '../wire/message-headers.js';
import { encodeRequest } from '../wire/reply-packet.js';

/** RabbitMQ's direct reply-to pseudo queue: replies go straight to the consuming channel, never stored. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/** What a request is built from (RabbitRequester in production, the harness under test). */
export interface RequestSpec {
  pattern: string;
  data: unknown;
  /** The request's id: its AMQP correlationId (the reply key) and messageId. */
  id: string;
  /** The caller's timeout, checked by requestTimeoutOf. */
  timeoutMs: number;
  exchange: string;
  serviceName: string;
  maxMessageBytes: number;
  /** The caller's correlation id, carried in a header (the AMQP correlationId is the reply key). */
  correlationId?: string;
}

/** A request as it goes on the wire: to its pattern's queue through the default exchange. */
export interface RequestMessage {
  queue: string;
  content: Buffer;
  properties: Options.Publish;
}

/** The caller's timeout of one request: the per-call one, else the module's `requests.timeoutMs`; a TypeError if out of range. */
export function requestTimeoutOf(timeoutMs: number | undefined, defaultMs: number): number {
  const resolved = timeoutMs ?? defaultMs;
  if (!Number.isInteger(resolved) || resolved < 1 || resolved > MAX_TIMER_MS) {
    throw new TypeError(`request timeoutMs must be an integer from 1 to ${MAX_TIMER_MS}, got ${String(resolved)}`);
  }
  return resolved;
}

/**
 * Nest's request packet with the properties every request carries; throws MessageTooLargeError
 * over `encoding.maxMessageBytes` (the responder would refuse it undecoded).
 */
export function buildRequest(spec: RequestSpec): RequestMessage {
  const content = encodeRequest(spec.pattern, spec.data, spec.id);
  if (content.length > spec.maxMessageBytes) {
    throw new MessageTooLargeError(content.length, spec.maxMessageBytes);
  }
  return {
    queue: requestQueueName(spec.exchange, spec.pattern),
    content,
    properties: {
      correlationId: spec.id,
      replyTo: DIRECT_REPLY_TO,
      // Nobody should work on a request its caller gave up: it expires in the queue with the timeout.
      expiration: String(spec.timeoutMs),
      persistent: false,
      // A pattern nobody declared a queue for comes back at once (basic.return) instead of timing out.
      mandatory: true,
      contentType: JSON_CONTENT_TYPE,
      messageId: spec.id,
      type: spec.pattern,
      timestamp: Math.floor(Date.now() / 1000),
      appId: spec.serviceName,
      headers: spec.correlationId ? { [HEADER_REQUEST_CORRELATION_ID]: spec.correlationId } : {},
    },
  };
}

/** The broker could not route a request: no queue exists for its pattern. */
export function unroutedRequestError(queue: string, pattern: string): RequestNotSentError {
  return new RequestNotSentError(`no queue '${queue}' for '${pattern}': no service with a @MessagePattern handler of it ever started`, pattern);
}
