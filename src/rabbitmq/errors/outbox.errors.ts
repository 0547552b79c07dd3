import { WarrenError } from './warren.error.js';

/** Outbox or Inbox used while RabbitMQModule was given no `outbox` option. */
export class OutboxNotConfiguredError extends WarrenError {
  override readonly code = 'WARREN_OUTBOX_NOT_CONFIGURED';
  override readonly name = 'OutboxNotConfiguredError';
}
