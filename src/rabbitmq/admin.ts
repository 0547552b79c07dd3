/**
 * Admin entry of the warren RabbitMQ library: app wiring (server, lifecycle, options resolution, HTTP glue),
 * operators' tools (dead-letter admin, queue depth, metrics, health), wire constants and topology names,
 * and internals that tests and benchmarks drive directly. Feature code imports from `./index.js`.
 */
// App wiring: the transport server, lifecycle and options resolution.
export { RabbitServer } from './server/rabbit-server.js';
export { connectRabbitServer, createRabbitMicroservice } from './server/rabbit-microservice.js';
export { RabbitLifecycle } from './lifecycle/rabbit-lifecycle.js';
export { RABBITMQ_MODULE_OPTIONS } from './rabbitmq-module-definition.js';
export type { ResolvedRabbitMQOptions } from './options/rabbitmq-options.interface.js';
export type { TlsOptions } from './options/rabbitmq-options.interface.js';
export type { KillSwitchOptions } from './options/rabbitmq-options.interface.js';
export { resolveRabbitMQOptions } from './options/resolve-options.js';
export { InvalidRabbitMQOptionsError } from './errors/invalid-options.error.js';
export { HandlerRegistrationError } from './errors/handler-registration.error.js';
export { TopologyConflictError } from './errors/topology-conflict.error.js';
export type { TopologyConflict } from './errors/topology-conflict.error.js';
export { EventPayloadPipe } from './decorators/event-payload.pipe.js';
// HTTP glue and correlation ids.
export { PublishErrorFilter } from './http/publish-error.filter.js';
export { correlationIdMiddleware } from './tracing/correlation-id.middleware.js';
export { REQUEST_ID_HEADER } from './tracing/correlation-id.middleware.js';
export { runWithCorrelationId } from './tracing/correlation-context.js';
export { currentCorrelationId } from './tracing/correlation-context.js';
export { redactUrl } from './connection/redact-url.js';
export { redactText } from './connection/redact-url.js';
// Log limits (the app's logger applies the same rule to every warning).
export { RepeatedWarningsLimiter } from './logging/repeated-warnings.limiter.js';
export { isRepeatSummary } from './logging/repeated-warnings.limiter.js';
export { warningReason } from './logging/repeated-warnings.limiter.js';
export type { RepeatedWarningsOptions } from './logging/repeated-warnings.limiter.js';
// Connections and publisher internals (tests and benchmarks drive them directly).
export { RabbitConnections } from './connection/rabbit-connections.js';
export type { ConnectionState } from './connection/connection-state.js';
export { RabbitPublisher } from './publisher/rabbit-publisher.js';
// Consumer status (health and metrics read it).
export type { QueueConsumerStatus } from './server/queue-consumer.js';
export type { PauseReason } from './server/queue-consumer.js';
export type { KillSwitchState } from './server/kill-switch.js';
export type { FlowStatus } from './flow/flow-control.js';
export type { FlowPauseReason } from './flow/flow-control.js';
// Failures on the consume side (what lands in x-error-type).
export { DecodeError } from './errors/decode.error.js';
export { NoHandlerError } from './errors/no-handler.error.js';
export { DEFAULT_RETRY_POLICY } from './failure/retry-policy.js';
// Codecs.
export { JsonCodec } from './codec/json.codec.js';
export { MsgpackCodec } from './codec/msgpack.codec.js';
export type { Compression } from './codec/compression.js';
export { UnknownCodecError } from './errors/unknown-codec.error.js';
export { JSON_CONTENT_TYPE } from './rabbitmq.constants.js';
export { MSGPACK_CONTENT_TYPE } from './rabbitmq.constants.js';
export { MSGPACK_LEGACY_CONTENT_TYPE } from './rabbitmq.constants.js';
// Topology names and defaults.
export { deadLetterQueueName } from './topology/topology-names.js';
export { retryQueueName } from './topology/topology-names.js';
export { unroutedExchangeName } from './topology/topology-names.js';
export { unroutedQueueName } from './topology/topology-names.js';
export { handlerQueueName } from './topology/topology-names.js';
export { connectionName } from './topology/topology-names.js';
export { DEFAULT_EVENTS_EXCHANGE } from './rabbitmq.constants.js';
export { DEFAULT_PREFETCH } from './rabbitmq.constants.js';
// Wire header names.
export { HEADER_ERROR_MESSAGE } from './wire/message-headers.js';
export { HEADER_ERROR_TYPE } from './wire/message-headers.js';
export { HEADER_FAILED_AT } from './wire/message-headers.js';
export { HEADER_HANDLER } from './wire/message-headers.js';
export { HEADER_ORIGINAL_ROUTING_KEY } from './wire/message-headers.js';
export { HEADER_RETRY_COUNT } from './wire/message-headers.js';
export { HEADER_REPLAYED_AT } from './wire/message-headers.js';
export { HEADER_LAST_ERROR_TYPE } from './wire/message-headers.js';
// Dead letters: admin, listing, replay.
export { DeadLetterAdmin } from './dlq/dead-letter-admin.js';
export type { DeadLetterAdminOptions } from './dlq/dead-letter-admin.js';
export type { DeadLetterDepth } from './dlq/dead-letter-admin.js';
export type { DeadLetterListing } from './dlq/dead-letter-admin.js';
export type { PeekResult } from './dlq/dead-letter-admin.js';
export type { ReplayOptions } from './dlq/dead-letter-admin.js';
export type { ReplayResult } from './dlq/dead-letter-admin.js';
export type { UnroutedDepth } from './dlq/dead-letter-admin.js';
export type { ParkedMessage } from './dlq/parked-message.js';
export type { DeathRecord } from './wire/x-death.js';
export { DeadLetterError } from './errors/dead-letter.errors.js';
export { DeadLetterQueueNotFoundError } from './errors/dead-letter.errors.js';
export { OriginatingQueueNotFoundError } from './errors/dead-letter.errors.js';
export { ReplayPublishError } from './errors/dead-letter.errors.js';
export { InvalidDeadLetterRequestError } from './errors/dead-letter.errors.js';
// Health and metrics.
export { RabbitMQHealthIndicator } from './health/rabbitmq.health-indicator.js';
export { QueueDepthReader } from './health/queue-depth-reader.js';
export type { QueueDepth } from './health/queue-depth-reader.js';
export type { QueueDepthResult } from './health/queue-depth-reader.js';
export { RabbitMetrics } from './metrics/rabbitmq-metrics.js';
export type { ConsumeOutcome } from './metrics/rabbitmq-metrics.js';
export type { PublishOutcome } from './metrics/rabbitmq-metrics.js';
// Request/reply: the other request errors (all RequestError), the HTTP filter, the requester, names.
export { RequestError } from './errors/request.errors.js';
export { RequestsInFlightExceededError } from './errors/request.errors.js';
export { RequestConnectionLostError } from './errors/request.errors.js';
export { RequestNotSentError } from './errors/request.errors.js';
export { RequestErrorFilter } from './http/request-error.filter.js';
export { RabbitRequester, DIRECT_REPLY_TO } from './rpc/rabbit-requester.js';
export type { RequestOptions } from './rpc/rabbit-requester.js';
export type { HandleRequestOptions } from './decorators/handle-request.decorator.js';
export type { RequestOutcome } from './metrics/rabbitmq-metrics.js';
export { requestQueueName } from './topology/topology-names.js';
export type { OutboxOptions } from './options/outbox-options.js';
export { OutboxNotConfiguredError } from './errors/outbox.errors.js';
export { OutboxRelay } from './outbox/outbox-relay.js';
export type { OutboxBacklog } from './outbox/outbox-store.js';
