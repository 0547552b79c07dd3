import { WarrenError } from './warren.error.js';
/** A handler that cannot be wired (request-response pattern, clashing queue, bad prefetch). */
export class HandlerRegistrationError extends WarrenError {
  override readonly code = 'WARREN_HANDLER_REGISTRATION';
  override readonly name = 'HandlerRegistrationError';
}
