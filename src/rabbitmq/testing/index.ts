/**
 * `warren/testing`: unit-test handlers without a broker. Feature code's tests import from here;
 * production code never does.
 */
export { HandlerHarness, type HandlerHarnessConfig, type HarnessPublishProperties } from './handler-harness.js';
export { HarnessDelivery } from './harness-delivery.js';
export type { HandlerResult, AckedResult, RetryResult, ParkedResult, RepliedResult, InPlaceRetryRecord } from './handler-result.js';
export type { PublishedEvent } from './published-event.js';
export { InMemoryPublisher } from './in-memory-publisher.js';
export { InMemoryTransport } from './in-memory-transport.js';
export { InMemoryRequester } from './in-memory-requester.js';
