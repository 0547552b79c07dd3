import { WarrenError } from './warren.error.js';
/** A body over `encoding.maxMessageBytes`, refused before it is encoded on publish or decoded on consume. */
export class MessageTooLargeError extends WarrenError {
  override readonly code = 'WARREN_MESSAGE_TOO_LARGE';
  override readonly name = 'MessageTooLargeError';

  constructor(
    readonly sizeBytes: number,
    readonly maxBytes: number,
  ) {
    super(`message of ${sizeBytes} bytes is over the limit of ${maxBytes} bytes`);
  }
}
