/** What `@OnEvent` / `@EventPattern(pattern, extras)` may carry for the transport. */
export interface HandlerExtras {
  /** Explicit queue name. */
  queue?: string;
  /** Handler name used for the default queue name and the `x-handler` header. */
  handler?: string;
  prefetch?: number;
  /** Handler timeout in ms; defaults to the module's `handlerTimeoutMs`. */
  timeoutMs?: number;
}
