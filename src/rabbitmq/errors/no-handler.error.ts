/** A message on a queue whose handler does not handle its pattern (stale binding, stray publish). */
export class NoHandlerError extends Error {
  override readonly name = 'NoHandlerError';
}
