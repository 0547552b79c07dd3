import { PublishError } from './publish.errors.js';
import { WarrenError } from './warren.error.js';

/** Outbox or Inbox used while RabbitMQModule was given no `outbox` option. */
export class OutboxNotConfiguredError extends WarrenError {
  override readonly code = 'WARREN_OUTBOX_NOT_CONFIGURED';
  override readonly name = 'OutboxNotConfiguredError';
}

/**
 * Not written: the outbox holds more rows, or an older one, than its high watermark
 * (`outbox.maxPending`, `outbox.maxPendingAgeMs`) — the broker has been away too long, and the
 * outbox is bounded like every other buffer. A PublishError, so HTTP answers 503 + Retry-After.
 */
export class OutboxFullError extends PublishError {
  override readonly code = 'WARREN_OUTBOX_FULL';
  override readonly name = 'OutboxFullError';
}

/**
 * Not written: the outbox's tables are not migrated yet, because PostgreSQL could not be reached
 * when the app started (the migration is retried until it can). A PublishError: 503 + Retry-After.
 */
export class OutboxUnavailableError extends PublishError {
  override readonly code = 'WARREN_OUTBOX_UNAVAILABLE';
  override readonly name = 'OutboxUnavailableError';
}
