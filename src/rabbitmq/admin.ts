/**
 * Operator entry of the warren RabbitMQ library: what the app wires in (transport server, lifecycle,
 * options, HTTP glue), what operators' tools use (dead-letter admin, connections, health, metrics),
 * and the names and headers warren puts on the broker, to find and read what it left there.
 * Feature code imports from `./index.js`, handler tests from `./testing/index.js`; the library's own
 * tests may import its modules directly. Importing a value from here loads Nest (about 3 s on a busy
 * 2-core machine, against 0.3 s for the dead-letter admin alone): the dlq CLI imports its types from
 * here and its values from the Nest-free modules themselves (`dlq/`, `wire/`, `connection/`).
 */
// App wiring: the transport server, lifecycle and options.
export { RabbitServer } from './server/rabbit-server.js';
export { connectRabbitServer, createRabbitMicroservice } from './server/rabbit-microservice.js';
export { RabbitLifecycle } from './lifecycle/rabbit-lifecycle.js';
export { RABBITMQ_MODULE_OPTIONS } from './rabbitmq-module-definition.js';
export { resolveRabbitMQOptions } from './options/resolve-options.js';
export type { TlsOptions } from './options/rabbitmq-options.interface.js';
export { InvalidRabbitMQOptionsError } from './errors/invalid-options.error.js';
// HTTP glue: error filters, request ids, redaction, the JSON structure limits the consumer applies too.
export { PublishErrorFilter } from './http/publish-error.filter.js';
export { RequestErrorFilter } from './http/request-error.filter.js';
export { correlationIdMiddleware, REQUEST_ID_HEADER } from './tracing/correlation-id.middleware.js';
export { currentCorrelationId, runWithCorrelationId } from './tracing/correlation-context.js';
export { redactText, redactUrl } from './connection/redact-url.js';
export { jsonStructureViolation, type JsonStructureLimits } from './codec/json-structure-guard.js';
// Log limits (the app's logger applies the same rule to every warning).
export { isRepeatSummary, RepeatedWarningsLimiter, type RepeatedWarningsOptions, warningReason } from './logging/repeated-warnings.limiter.js';
// Connections, health and metrics.
export { RabbitConnections } from './connection/rabbit-connections.js';
export type { ConnectionState } from './connection/connection-state.js';
export { RabbitMQHealthIndicator } from './health/rabbitmq.health-indicator.js';
export { RabbitMetrics } from './metrics/rabbitmq-metrics.js';
// Request/reply failures the HTTP filter maps (all RequestError).
export { RequestConnectionLostError, RequestError, RequestNotSentError, RequestsInFlightExceededError } from './errors/request.errors.js';
// The outbox: events stored with the app's transaction, relayed to the broker.
export type { OutboxOptions } from './options/rabbitmq-options.interface.js';
export { OutboxFullError, OutboxNotConfiguredError } from './errors/outbox.errors.js';
export { OutboxRelay } from './outbox/outbox-relay.js';
export type { OutboxBacklog } from './outbox/outbox-store.js';
export { type DeadOutboxRow, listDeadOutboxRows, requeueDeadOutboxRow } from './outbox/outbox-dead-rows.js';
// Dead letters: admin, listing, replay.
export { DeadLetterAdmin } from './dlq/dead-letter-admin.js';
export type {
  DeadLetterAdminOptions,
  DeadLetterDepth,
  DeadLetterListing,
  PeekResult,
  ReplayOptions,
  ReplayResult,
  UnroutedDepth,
} from './dlq/dead-letter-admin.js';
export type { ParkedMessage } from './dlq/parked-message.js';
export {
  DeadLetterError,
  DeadLetterQueueNotFoundError,
  InvalidDeadLetterRequestError,
  OriginatingQueueNotFoundError,
  ReplayPublishError,
} from './errors/dead-letter.errors.js';
// What warren puts on the broker: queue names, the properties it publishes with (header names: wire/message-headers.ts), defaults.
export {
  deadLetterQueueName,
  handlerQueueName,
  requestQueueName,
  retryQueueName,
  unroutedExchangeName,
  unroutedQueueName,
} from './topology/topology-names.js';
export { buildMessageProperties } from './publisher/message-properties.js';
export { RABBITMQ_DEFAULTS } from './options/rabbitmq-defaults.js';
