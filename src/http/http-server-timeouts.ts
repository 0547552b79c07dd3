import type { Server } from 'node:http';

export interface HttpServerTimeouts {
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

/**
 * How often Node checks connections against headersTimeout and requestTimeout. Its default, 30 s,
 * is added to each of them: a slowloris connection with the default 60 s headers timeout stayed
 * open 90 s. Must be set before `listen()` (Node starts the check when the server listens).
 */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

/**
 * Node's defaults do not suit a service behind a load balancer: keep-alive 5 s is below the
 * balancers' idle timeouts (AWS ALB 60 s), so the service closes connections the balancer still
 * reuses, and requests sent on them as they close come back 502. The headers and request
 * timeouts bound how long a slow client (slowloris) may hold a connection.
 */
export function applyHttpServerTimeouts(server: Server, timeouts: HttpServerTimeouts): void {
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  server.headersTimeout = timeouts.headersTimeoutMs;
  server.requestTimeout = timeouts.requestTimeoutMs;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    CONNECTIONS_CHECKING_INTERVAL_MS,
    timeouts.headersTimeoutMs,
  );
}
