import type { RabbitConnections } from '../connection/rabbit-connections.js';
import { RabbitClient } from '../client/rabbit-client.js';
import type { RabbitPublisher } from '../publisher/rabbit-publisher.js';
import type { RabbitRequester } from '../rpc/rabbit-requester.js';
import type { InMemoryPublisher } from './in-memory-publisher.js';

/**
 * The production RabbitClient (same `publish` / `emit` checks and receipts) over the in-memory
 * publisher: handlers inject `RabbitClient` as usual and their events are recorded.
 */
export class InMemoryRabbitClient extends RabbitClient {
  constructor(publisher: InMemoryPublisher) {
    // Only `publish` is used by RabbitClient's publishing path; there is no connection to hand over.
    super(publisher as unknown as RabbitPublisher, undefined as unknown as RabbitConnections, undefined as unknown as RabbitRequester);
  }

  override unwrap<T>(): T {
    throw new Error('the harness RabbitClient has no broker connection: assert on harness.published instead');
  }
}
