import { WarrenError } from './warren.error.js';
/** Thrown at start-up when RabbitMQModule options are invalid; the message names the option. */
export class InvalidRabbitMQOptionsError extends WarrenError {
  override readonly code = 'WARREN_INVALID_OPTIONS';
  override readonly name = 'InvalidRabbitMQOptionsError';
}
