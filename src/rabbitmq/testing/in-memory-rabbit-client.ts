import type { RabbitConnections } from '../connection/rabbit-connections.js';
import { RabbitClient } from '../client/rabbit-client.js';
import type { RabbitPublisher } from '../publisher/rabbit-publisher.js';
import type { RabbitRequester } from '../rpc/rabbit-requester.js';
import type { InMemoryPublisher } from './in-memory-publisher.js';
import type { InMemoryRequester } from './in-memory-requester.js';

/**
 * The production RabbitClient (same `publish` / `emit` checks and receipts) over the in-memory
 * publisher: handlers inject `RabbitClient` as usual and their events are recorded; their
 * `request()` / `send()` are answered by the harness's own request handlers.
 */
export class InMemoryRabbitClient extends RabbitClient {
  constructor(publisher: InMemoryPublisher, requester: InMemoryRequester) {
    // Only `publish` and `request` are used by RabbitClient; there is no connection to hand over.
    super(publisher as unknown as RabbitPublisher, undefined as unknown as RabbitConnections, requester as unknown as RabbitRequester);
  }

  override unwrap<T>(): T {
    throw new Error('the harness RabbitClient has no broker connection: assert on harness.published instead');
  }
}
