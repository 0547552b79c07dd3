/** Thrown at start-up when RabbitMQModule options are invalid; the message names the option. */
export class InvalidRabbitMQOptionsError extends Error {
  override readonly name = 'InvalidRabbitMQOptionsError';
}
