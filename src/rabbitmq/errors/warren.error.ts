/**
 * Base of every error the warren library throws. `code` is stable across releases (messages
 * may be reworded): match on it, or on the class, never on the message text. `name` is the
 * class name, which is also what a parked message's `x-error-type` header says.
 */
export class WarrenError extends Error {
  /** Stable machine-readable reason, e.g. `'WARREN_DECODE'`. Subclasses set their own. */
  readonly code: string = 'WARREN_ERROR';
  override readonly name: string = 'WarrenError';
}
