import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage, Message } from 'amqplib';
import { MessageDecoder } from '../codec/message-decoder.js';
import { RabbitConnections } from '../connection/rabbit-connections.js';
import { redactText } from '../logging/redact-url.js';
import { currentCorrelationId } from '../tracing/correlation-context.js';
import {
  RequestConnectionLostError,
  type RequestError,
  RequestNotSentError,
  RequestsInFlightExceededError,
  RequestTimeoutError,
} from '../errors/request.errors.js';
import { RabbitMetrics, type RequestOutcome } from '../metrics/rabbitmq-metrics.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { RABBITMQ_RESOLVED_OPTIONS } from '../rabbitmq.constants.js';
import { requestQueueName } from '../topology/topology-names.js';
import { buildRequest, DIRECT_REPLY_TO, type RequestMessage, requestTimeoutOf, unroutedRequestError } from './request-message.js';
import { replyOutcome } from './reply-outcome.js';

export { DIRECT_REPLY_TO } from './request-message.js';

/** Per-call options of `request()` / `send()`. */
export interface RequestOptions {
  /** How long to wait for the reply, in ms (also the request's `expiration`); defaults to the module's `requests.timeoutMs`. */
  timeoutMs?: number;
}

interface PendingRequest {
  pattern: string;
  startedAt: number;
  timer: NodeJS.Timeout;
  resolve: (value: unknown) => void;
  reject: (error: RequestError) => void;
}

/**
 * Sends requests and matches their replies, over direct reply-to on one channel of the
 * publisher connection (requests must be published on the channel that consumes the replies).
 * Every request ends in exactly one outcome: a reply, a remote error, a timeout, or — when the
 * channel or connection drops — an immediate failure, since a reply can never reach a new channel.
 */
@Injectable()
export class RabbitRequester implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RabbitRequester.name);
  private readonly pending = new Map<string, PendingRequest>();
  private wrapper?: ChannelWrapper;
  /** The live channel consuming replies; undefined while there is none. */
  private channel?: Channel;
  /** Replies are read with the bounds of consumed events (size, nesting): a responder is any AMQP client. */
  private readonly decoder: MessageDecoder;

  constructor(
    @Inject(RABBITMQ_RESOLVED_OPTIONS) private readonly options: ResolvedRabbitMQOptions,
    private readonly connections: RabbitConnections,
    private readonly metrics: RabbitMetrics,
  ) {
    this.decoder = MessageDecoder.forConsuming(options.encoding);
  }

  /** Opens the reply channel at start, so the first request does not wait for it. */
  onModuleInit(): void {
    const connection = this.connections.get('publisher');
    this.wrapper = connection.createChannel({ name: 'replies', confirm: false, json: false, setup: (channel: Channel) => this.setup(channel) });
    this.wrapper.on('error', (error: Error) => this.logger.error(`reply channel failed: ${redactText(error.message)}`));
    connection.on('disconnect', () => this.lost('the connection to the broker dropped'));
  }

  async onModuleDestroy(): Promise<void> {
    this.lost('the service is shutting down');
    await this.wrapper?.close().catch(() => undefined);
  }

  /** Requests awaiting a reply right now. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Sends `data` to the handler of `pattern` and resolves with its reply. Fails with a
   * RequestError subclass: RequestTimeoutError, RemoteHandlerError, RequestsInFlightExceededError,
   * RequestConnectionLostError or RequestNotSentError.
   */
  request<T = unknown>(pattern: string, data: unknown, options: RequestOptions = {}): Promise<T> {
    const startedAt = performance.now();
    let timeoutMs: number;
    try {
      timeoutMs = requestTimeoutOf(options.timeoutMs, this.options.requests.timeoutMs);
    } catch (error: unknown) {
      // A TypeError (timeout) or MessageTooLargeError, thrown by the shared request builders.
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (this.pending.size >= this.options.requests.maxInFlight) {
      this.count('shed', startedAt);
      return Promise.reject(
        new RequestsInFlightExceededError(
          `${this.pending.size} requests already await replies (maxRequestsInFlight): '${pattern}' was not sent; retry later`,
          pattern,
        ),
      );
    }
    const channel = this.channel;
    if (!channel) {
      this.count('not_sent', startedAt);
      return Promise.reject(new RequestNotSentError(`no channel to the broker for '${pattern}' (unreachable or reconnecting): not sent`, pattern));
    }
    const id = randomUUID();
    let request: RequestMessage;
    try {
      const { exchange, serviceName } = this.options;
      const { maxMessageBytes } = this.options.encoding;
      request = buildRequest({ pattern, data, id, timeoutMs, exchange, serviceName, maxMessageBytes, correlationId: currentCorrelationId() });
    } catch (error: unknown) {
      // A TypeError (timeout) or MessageTooLargeError, thrown by the shared request builders.
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, 'timeout', new RequestTimeoutError(pattern, timeoutMs)), timeoutMs);
      this.pending.set(id, { pattern, startedAt, timer, resolve: resolve as (value: unknown) => void, reject });
      try {
        // mandatory (in the properties): a pattern nobody declared a queue for comes back at once (basic.return).
        channel.publish('', request.queue, request.content, request.properties);
      } catch (error) {
        // The channel closed under us: its 'close' fails the others.
        this.settle(id, 'not_sent', new RequestNotSentError(`'${pattern}' could not be written: ${redactText(String(error))}`, pattern));
      }
    });
  }

  private async setup(channel: Channel): Promise<void> {
    // Replies are consumed without ack: direct reply-to requires it, and nothing is lost by it —
    // a reply nobody awaits is dropped anyway.
    await channel.consume(DIRECT_REPLY_TO, (message) => this.onReply(message), { noAck: true });
    channel.on('return', (message: Message) => this.onReturn(message));
    channel.on('close', () => {
      if (this.channel === channel) {
        this.channel = undefined;
        this.lost('the reply channel closed');
      }
    });
    this.channel = channel;
  }

  private onReply(message: ConsumeMessage | null): void {
    if (!message) {
      return; // consumer cancelled by the broker; the channel is re-created by its wrapper
    }
    const id = message.properties.correlationId as string | undefined;
    if (id === undefined || !this.pending.has(id)) {
      // Its caller timed out (or it was never ours): counted, not an error.
      this.metrics.lateReplies.inc();
      this.logger.debug(`dropped a reply nobody awaits (correlationId ${String(id)})`);
      return;
    }
    void replyOutcome(this.pending.get(id)!.pattern, message, this.decoder).then((reply) => {
      if ('error' in reply) {
        this.settle(id, 'remote_error', reply.error);
      } else {
        this.settle(id, 'replied', undefined, reply.value);
      }
    });
  }

  /** The broker could not route the request: no queue exists for its pattern. */
  private onReturn(message: Message): void {
    const id = message.properties.correlationId as string | undefined;
    const request = id === undefined ? undefined : this.pending.get(id);
    if (id === undefined || !request) {
      return;
    }
    this.settle(id, 'not_sent', unroutedRequestError(requestQueueName(this.options.exchange, request.pattern), request.pattern));
  }

  /** Fails every pending request at once: their replies would go to a channel that no longer exists. */
  private lost(reason: string): void {
    for (const [id, { pattern }] of this.pending) {
      this.settle(
        id,
        'connection_lost',
        new RequestConnectionLostError(`${reason} while '${pattern}' awaited its reply; it may or may not have been handled`, pattern),
      );
    }
  }

  private settle(id: string, outcome: RequestOutcome, error?: RequestError, value?: unknown): void {
    const request = this.pending.get(id);
    if (!request) {
      return;
    }
    this.pending.delete(id);
    clearTimeout(request.timer);
    this.count(outcome, request.startedAt);
    if (error) {
      request.reject(error);
    } else {
      request.resolve(value);
    }
  }

  private count(outcome: RequestOutcome, startedAt: number): void {
    this.metrics.requests.inc({ outcome });
    this.metrics.requestDuration.observe({ outcome }, (performance.now() - startedAt) / 1000);
  }
}
