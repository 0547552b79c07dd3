import { WarrenError } from './warren.error.js';
/** A message body that cannot be turned into a payload. Never retried: it will never decode. */
export class DecodeError extends WarrenError {
  override readonly code = 'WARREN_DECODE';
  override readonly name = 'DecodeError';
}
