import { MessagePattern } from '@nestjs/microservices';
import { bindHandler } from './handle-event.decorator.js';

/** Per-handler options of `@HandleRequest`. */
export interface HandleRequestOptions {
  /** Queue name; defaults to `<exchange>.rpc.<pattern>`, where callers send requests of this pattern. */
  queue?: string;
  /** Requests handled at once by this instance; defaults to the module's `prefetch`. */
  prefetch?: number;
  /** Longest this handler may run, in ms (past it the caller gets a HandlerTimeoutError reply); defaults to `consume.handlerTimeoutMs`. */
  timeoutMs?: number;
}

/**
 * Answers requests of an exact `pattern` (no wildcards): what the method returns (a value, a
 * Promise, or an Observable's last value) is the reply to `client.request()` / `send()`. The
 * payload is validated like `@HandleEvent`'s (EventPayloadPipe); a failure of any kind is sent
 * back as the error reply (type and message) and the request acked — never retried, never parked.
 * Plain `@MessagePattern` also works, but Nest's exception filter then hides a thrown Error's
 * message behind 'Internal server error' (only RpcException messages get through).
 */
export function HandleRequest(pattern: string, options: HandleRequestOptions = {}): MethodDecorator {
  return bindHandler(pattern, options, MessagePattern);
}
