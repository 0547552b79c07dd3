import { WarrenError } from './warren.error.js';
/** A message on a queue whose handler does not handle its pattern (stale binding, stray publish). */
export class NoHandlerError extends WarrenError {
  override readonly code = 'WARREN_NO_HANDLER';
  override readonly name = 'NoHandlerError';
}
