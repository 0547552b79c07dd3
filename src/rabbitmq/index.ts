/** Public API of the warren RabbitMQ library. Feature code imports from here only. */
export { RabbitMQModule } from './rabbitmq.module.js';
export { RABBITMQ_MODULE_OPTIONS } from './rabbitmq-module-definition.js';
export type { RabbitMQModuleOptions, ResolvedRabbitMQOptions, QueueType, TlsOptions } from './options/rabbitmq-options.interface.js';
export { resolveRabbitMQOptions } from './options/resolve-options.js';
export { RabbitClient } from './client/rabbit-client.js';
export { RabbitServer } from './server/rabbit-server.js';
export { RabbitContext } from './server/rabbit-context.js';
export { EventPayloadPipe } from './server/event-payload.pipe.js';
export { RabbitConnections } from './connection/rabbit-connections.js';
export type { ConnectionState } from './connection/connection-state.js';
export { RabbitPublisher } from './publisher/rabbit-publisher.js';
export type { PublishOptions } from './publisher/message-properties.js';
export type { PublishReceipt } from './publisher/publish-receipt.js';
export { OnEvent, type OnEventOptions } from './decorators/on-event.decorator.js';
export { redactUrl, redactText } from './connection/redact-url.js';
export { runWithCorrelationId, currentCorrelationId } from './correlation/correlation-context.js';
export type { MessageCodec } from './codec/message-codec.interface.js';
export { PublishError, PublishTimeoutError, PublishRejectedError, PublisherClosedError } from './errors/publish.errors.js';
export { MessageTooLargeError } from './errors/message-too-large.error.js';
export { DecodeError } from './errors/decode.error.js';
export { HandlerRegistrationError } from './errors/handler-registration.error.js';
export { InvalidRabbitMQOptionsError } from './errors/invalid-options.error.js';
export * from './topology/topology-names.js';
export {
  DEFAULT_EVENTS_EXCHANGE,
  DEFAULT_PREFETCH,
  HEADER_ERROR_MESSAGE,
  HEADER_ERROR_TYPE,
  HEADER_FAILED_AT,
  HEADER_HANDLER,
  HEADER_ORIGINAL_ROUTING_KEY,
  HEADER_RETRY_COUNT,
} from './rabbitmq.constants.js';
export { correlationIdMiddleware, REQUEST_ID_HEADER } from './correlation/correlation-id.middleware.js';
export { PublishErrorFilter } from './http/publish-error.filter.js';
export { NonRetryableError } from './errors/non-retryable.error.js';
export { NoHandlerError } from './errors/no-handler.error.js';
export { HandlerTimeoutError } from './errors/handler-timeout.error.js';
export { Retry } from './retry/retry.decorator.js';
export { type RetryPolicy, DEFAULT_RETRY_POLICY } from './retry/retry-policy.js';
export type { KillSwitchOptions } from './options/rabbitmq-options.interface.js';
export type { QueueConsumerStatus, PauseReason } from './server/queue-consumer.js';
export type { KillSwitchState } from './server/kill-switch.js';
export { RabbitLifecycle } from './lifecycle/rabbit-lifecycle.js';
export { PublishBufferFullError, PublisherBlockedError } from './errors/publish.errors.js';
export { PublishOutcomeUnknownError, PublishStalledError } from './errors/publish.errors.js';
export { PublishTopologyConflictError } from './errors/publish.errors.js';
export { TopologyConflictError, type TopologyConflict } from './errors/topology-conflict.error.js';
export type { FlowStatus, FlowPauseReason } from './flow/flow-control.js';
export {
  DeadLetterAdmin,
  type DeadLetterAdminOptions,
  type DeadLetterDepth,
  type DeadLetterListing,
  type PeekResult,
  type ReplayOptions,
  type ReplayResult,
  type UnroutedDepth,
} from './dlq/dead-letter-admin.js';
export type { ParkedMessage } from './dlq/parked-message.js';
export type { DeathRecord } from './dlq/x-death.js';
export {
  DeadLetterError,
  DeadLetterQueueNotFoundError,
  OriginatingQueueNotFoundError,
  ReplayPublishError,
  InvalidDeadLetterRequestError,
} from './dlq/dead-letter.errors.js';
export { HEADER_REPLAYED_AT, HEADER_LAST_ERROR_TYPE } from './dlq/dead-letter.constants.js';
export { RabbitMQHealthIndicator } from './health/rabbitmq.health-indicator.js';
export { QueueDepthReader, type QueueDepth, type QueueDepthResult } from './health/queue-depth-reader.js';
export { RabbitMetrics, type ConsumeOutcome, type PublishOutcome } from './metrics/rabbitmq-metrics.js';
export { JsonCodec } from './codec/json.codec.js';
export { MsgpackCodec } from './codec/msgpack.codec.js';
export type { CodecName } from './codec/codec-registry.js';
export type { Compression } from './codec/compression.js';
export { UnknownCodecError } from './codec/unknown-codec.error.js';
export { JSON_CONTENT_TYPE, MSGPACK_CONTENT_TYPE, MSGPACK_LEGACY_CONTENT_TYPE } from './rabbitmq.constants.js';
export { HandleRequest, type HandleRequestOptions } from './decorators/handle-request.decorator.js';
export { RabbitRequester, type RequestOptions, DIRECT_REPLY_TO } from './rpc/rabbit-requester.js';
export {
  RequestError,
  RequestTimeoutError,
  RemoteHandlerError,
  RequestsInFlightExceededError,
  RequestConnectionLostError,
  RequestNotSentError,
} from './errors/request.errors.js';
export { RequestErrorFilter } from './http/request-error.filter.js';
export type { RequestOutcome } from './metrics/rabbitmq-metrics.js';
