import { WarrenError } from './warren.error.js';

/**
 * A request (`client.request()` / `send()`) that got no usable reply. Each subclass says why,
 * because the caller's answer differs (RequestErrorFilter maps them to HTTP):
 * - RequestTimeoutError: no reply within the timeout (504); the handler may still have run.
 * - RemoteHandlerError: the handler failed and said why (502, with the remote type and message).
 * - the others: the request could not be carried (503 + Retry-After).
 */
export class RequestError extends WarrenError {
  override readonly code: string = 'WARREN_REQUEST';
  override readonly name: string = 'RequestError';

  constructor(
    message: string,
    /** Pattern of the request. */
    readonly pattern: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** No reply came within the timeout. The request expired in its queue, or its handler was too slow. */
export class RequestTimeoutError extends RequestError {
  override readonly code = 'WARREN_REQUEST_TIMEOUT';
  override readonly name = 'RequestTimeoutError';

  constructor(
    pattern: string,
    readonly timeoutMs: number,
  ) {
    super(`no reply to '${pattern}' within ${timeoutMs} ms: the handler is slow, paused or not running; raise the timeout or check it`, pattern);
  }
}

/** The handler ran and failed (threw, timed out, rejected the payload): its reply carries the reason. */
export class RemoteHandlerError extends RequestError {
  override readonly code = 'WARREN_REQUEST_REMOTE_ERROR';
  override readonly name = 'RemoteHandlerError';

  constructor(
    pattern: string,
    /** Error type as the handler's side named it, e.g. `ValidationError`, `HandlerTimeoutError`. */
    readonly remoteType: string,
    /** The handler's error message. */
    readonly remoteMessage: string,
  ) {
    super(`handler of '${pattern}' failed: ${remoteType}: ${remoteMessage}`, pattern);
  }
}

/** Too many requests already await replies: refused at once instead of piling up behind a slow responder. */
export class RequestsInFlightExceededError extends RequestError {
  override readonly code = 'WARREN_REQUESTS_IN_FLIGHT_EXCEEDED';
  override readonly name = 'RequestsInFlightExceededError';
}

/**
 * The connection (or the reply channel) dropped while the request awaited its reply: the reply
 * could never arrive, so the request fails at once. The handler may or may not have run.
 */
export class RequestConnectionLostError extends RequestError {
  override readonly code = 'WARREN_REQUEST_CONNECTION_LOST';
  override readonly name = 'RequestConnectionLostError';
}

/** Nothing could carry the request: no reply channel (broker unreachable), or no queue exists for its pattern. */
export class RequestNotSentError extends RequestError {
  override readonly code = 'WARREN_REQUEST_NOT_SENT';
  override readonly name = 'RequestNotSentError';
}
