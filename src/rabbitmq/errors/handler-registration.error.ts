/** A handler that cannot be wired (request-response pattern, clashing queue, bad prefetch). */
export class HandlerRegistrationError extends Error {
  override readonly name = 'HandlerRegistrationError';
}
