/** What one connection is doing right now, as health checks and metrics report it. */
export interface ConnectionState {
  connected: boolean;
  /** The broker stopped reading from us (memory or disk alarm). */
  blocked: boolean;
  blockedReason?: string;
  /** Redacted URL of the node we are connected to, if any. */
  url?: string;
  reconnects: number;
  lastError?: string;
  /** A declare of this connection conflicts with an existing exchange or queue (406), with the fix. */
  topologyConflict?: string;
}
