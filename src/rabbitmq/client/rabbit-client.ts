import { Injectable } from '@nestjs/common';
import { ClientProxy, type MsPattern, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { AmqpConnectionManager } from 'amqp-connection-manager';
import type { Observable } from 'rxjs';
import { RabbitConnections } from '../connection/rabbit-connections.js';
import type { PublishOptions } from '../publisher/message-properties.js';
import type { PublishReceipt } from '../publisher/publish-receipt.js';
import { RabbitPublisher } from '../publisher/rabbit-publisher.js';
import { RabbitRequester, type RequestOptions } from '../rpc/rabbit-requester.js';
import { fitsRoutingKey, MAX_ROUTING_KEY_BYTES } from '../topology/topic-pattern.js';

/**
 * What controllers inject to publish events. `emit(pattern, data)` is Nest's familiar API and
 * completes with a PublishReceipt once the broker has confirmed the message; `publish()` is the
 * same as a Promise. Both fail with a PublishError instead of hanging: HTTP 503 when the event was
 * not sent, 504 (PublishOutcomeUnknownError, with the eventId) when it was sent but not confirmed.
 *
 * `request(pattern, data)` asks the `@HandleRequest` / `@MessagePattern` handler of `pattern` and
 * resolves with its reply; `send(pattern, data)` is the same as Nest's Observable. Both fail with a
 * RequestError (timeout: 504; handler failed: 502 with its message; not carried: 503).
 */
@Injectable()
export class RabbitClient extends ClientProxy {
  constructor(
    private readonly publisher: RabbitPublisher,
    private readonly connections: RabbitConnections,
    private readonly requester: RabbitRequester,
  ) {
    super();
  }

  /** The connection is owned by the module and opened at start-up: nothing to do per call. */
  async connect(): Promise<void> {}

  /** Lifecycle is owned by RabbitMQModule; closing a shared client here would break others. */
  async close(): Promise<void> {}

  unwrap<T = AmqpConnectionManager>(): T {
    return this.connections.get('publisher') as T;
  }

  override emit<TResult = PublishReceipt, TInput = unknown>(pattern: string, data: TInput): Observable<TResult> {
    return super.emit<TResult, TInput>(pattern, data);
  }

  /** Publishes an event and resolves once the broker confirmed it. */
  publish<T>(pattern: string, data: T, options?: PublishOptions): Promise<PublishReceipt>;
  /** @internal Nest's request-response hook behind send(): one request, one reply. */
  publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void;
  publish(patternOrPacket: string | ReadPacket, dataOrCallback: unknown, options?: PublishOptions): Promise<PublishReceipt> | (() => void) {
    if (typeof dataOrCallback === 'function') {
      const callback = dataOrCallback as (packet: WritePacket) => void;
      const packet = patternOrPacket as ReadPacket;
      this.requester.request(this.normalizePattern(packet.pattern as MsPattern), packet.data).then(
        (response) => callback({ response, isDisposed: true }),
        (err: unknown) => callback({ err, isDisposed: true }),
      );
      // Unsubscribing cannot recall a sent request: its reply, if any, is dropped as late.
      return () => undefined;
    }
    if (typeof patternOrPacket !== 'string' || patternOrPacket.length === 0 || !fitsRoutingKey(patternOrPacket)) {
      return Promise.reject(
        new TypeError(`publish(pattern, data): pattern must be a non-empty string of at most ${MAX_ROUTING_KEY_BYTES} bytes (an AMQP routing key)`),
      );
    }
    return this.publisher.publish(patternOrPacket, dataOrCallback, options);
  }

  /**
   * Sends a request to the handler of `pattern` and resolves with its reply. Fails with
   * RequestTimeoutError (no reply within `options.timeoutMs`, default `requests.timeoutMs`),
   * RemoteHandlerError (the handler failed: remote type and message), RequestsInFlightExceededError,
   * RequestConnectionLostError or RequestNotSentError.
   */
  request<T = unknown>(pattern: string, data: unknown, options?: RequestOptions): Promise<T> {
    return this.requester.request<T>(pattern, data, options);
  }

  /** Same as emit(), as an Observable built from publish(). */
  protected dispatchEvent<T = PublishReceipt>(packet: ReadPacket): Promise<T> {
    return this.publish(this.normalizePattern(packet.pattern as MsPattern), packet.data) as Promise<T>;
  }
}
