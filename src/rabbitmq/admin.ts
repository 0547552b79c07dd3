/**
 * Operator entry of the warren RabbitMQ library: what the app wires in (transport server, lifecycle,
 * options, HTTP glue), what operators' tools use (dead-letter admin, connections, health, metrics),
 * and the names and headers warren puts on the broker, to find and read what it left there.
 * Feature code imports from `./index.js`, handler tests from `./testing/index.js`; the library's own
 * tests may import its modules directly; the app, its CLIs and bench import only the three entries.
 */
// App wiring: the transport server, lifecycle and options.
export { RabbitServer } from './server/rabbit-server.js';
export { connectRabbitServer, createRabbitMicroservice } from './server/rabbit-microservice.js';
export { RabbitLifecycle } from './lifecycle/rabbit-lifecycle.js';
export { resolveRabbitMQOptions } from './options/resolve-options.js';
export type { TlsOptions } from './options/rabbitmq-options.interface.js';
export { InvalidRabbitMQOptionsError } from './errors/invalid-options.error.js';
// HTTP glue: error filters, request ids, redaction, the JSON structure limits the consumer applies too.
export { PublishErrorFilter } from './http/publish-error.filter.js';
export { RequestErrorFilter } from './http/request-error.filter.js';
export { correlationIdMiddleware, REQUEST_ID_HEADER } from './tracing/correlation-id.middleware.js';
export { currentCorrelationId, runWithCorrelationId } from './tracing/correlation-context.js';
export { redactText, redactUrl } from './logging/redact-url.js';
export { capText, escapeControlCharacters, safeText } from './wire/safe-text.js';
export { jsonStructureViolation, type JsonStructureLimits } from './codec/json-structure-guard.js';
// Log limits (the app's logger applies the same rule to every warning).
export { isRepeatSummary, RepeatedWarningsLimiter, type RepeatedWarningsOptions, warningReason } from './logging/repeated-warnings.limiter.js';
// Connections, health and metrics.
export { RabbitConnections } from './connection/rabbit-connections.js';
export { socketOptions } from './connection/socket-options.js';
export { RabbitMQHealthIndicator } from './health/rabbitmq.health-indicator.js';
export { RabbitMetrics } from './metrics/rabbitmq-metrics.js';
// Request/reply failures the HTTP filter maps (all RequestError).
export { RequestConnectionLostError, RequestError, RequestNotSentError, RequestsInFlightExceededError } from './errors/request.errors.js';
// The outbox: events stored with the app's transaction, relayed to the broker.
export type { OutboxOptions } from './options/rabbitmq-options.interface.js';
export { OutboxFullError, OutboxNotConfiguredError } from './errors/outbox.errors.js';
export { OutboxRelay } from './outbox/outbox-relay.js';
export { SchemaMigrator } from './outbox/schema-migrator.js';
export { isDatabaseUnreachable } from './outbox/database-unreachable.js';
export { type DeadOutboxRow, listDeadOutboxRows, requeueDeadOutboxRow } from './outbox/outbox-dead-rows.js';
// Dead letters: admin, listing, replay.
export { DeadLetterAdmin } from './dlq/dead-letter-admin.js';
export { resolveDeadLetterTarget } from './dlq/dead-letter-names.js';
export { DEFAULT_PEEK_LIMIT } from './dlq/dead-letter.constants.js';
export { formatDeath } from './wire/x-death.js';
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
// What warren puts on the broker: queue names (header names: wire/message-headers.ts), defaults and bounds.
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
export { INTEGER_BOUNDS, type IntegerBound } from './options/option-bounds.js';
export { MAX_TIMER_MS } from './rabbitmq.constants.js';
// The event catalogue (AsyncAPI), served on the metrics port and written by `npm run asyncapi`.
export { buildCatalogue } from './catalogue/build-catalogue.js';
export type { JsonSchema as CatalogueDocument } from './catalogue/publishes.decorator.js';
