/**
 * Public API of the warren RabbitMQ library: what a feature team uses to publish events and handle them.
 * Operators' tools, app wiring and test helpers import from `./admin.js` instead.
 * `index.spec.ts` lists these names: a new export here is a deliberate change to that list.
 */
export { RabbitMQModule } from './rabbitmq.module.js';
export type { RabbitMQModuleOptions } from './options/rabbitmq-options.interface.js';
export type { QueueType } from './options/rabbitmq-options.interface.js';
export { HandleEvent } from './decorators/handle-event.decorator.js';
export type { HandleEventOptions } from './decorators/handle-event.decorator.js';
export { Retry } from './failure/retry.decorator.js';
export type { RetryPolicy } from './failure/retry-policy.js';
export { RabbitClient } from './client/rabbit-client.js';
export { RabbitContext } from './context/rabbit-context.js';
export type { PublishOptions } from './publisher/message-properties.js';
export type { PublishReceipt } from './publisher/publish-receipt.js';
export type { HandlerQueueArguments } from './decorators/handler-queue-arguments.js';
export type { MessageCodec } from './codec/message-codec.interface.js';
export type { CodecName } from './codec/codec-registry.js';
export { WarrenError } from './errors/warren.error.js';
export { NonRetryableError } from './errors/non-retryable.error.js';
export { DependencyUnavailableError } from './errors/dependency-unavailable.error.js';
export { HandlerTimeoutError } from './errors/handler-timeout.error.js';
export { MessageTooLargeError } from './errors/message-too-large.error.js';
export { PublishError } from './errors/publish.errors.js';
export { PublishTimeoutError } from './errors/publish.errors.js';
export { PublishRejectedError } from './errors/publish.errors.js';
export { PublisherClosedError } from './errors/publish.errors.js';
export { PublishBufferFullError } from './errors/publish.errors.js';
export { PublisherBlockedError } from './errors/publish.errors.js';
export { PublishOutcomeUnknownError } from './errors/publish.errors.js';
export { PublishStalledError } from './errors/publish.errors.js';
export { PublishTopologyConflictError } from './errors/publish.errors.js';
export { HandleRequest } from './decorators/handle-request.decorator.js';
export { Publishes, Replies } from './catalogue/publishes.decorator.js';
export { RequestTimeoutError, RemoteHandlerError } from './errors/request.errors.js';
export { Outbox } from './outbox/outbox.js';
export type { OutboxPublishOptions } from './outbox/outbox.js';
export { Inbox } from './outbox/inbox.js';
export { OutboxFullError, OutboxUnavailableError } from './errors/outbox.errors.js';
export type { SqlExecutor } from './outbox/sql-executor.js';
