import { TopologyConflictError } from '../errors/topology-conflict.error.js';
import type { ReconnectBackoff } from './reconnect-backoff.js';

/** What ended a connection, as the one log line of that attempt tells it. */
export interface ClosedAttempt {
  /** The topology conflict this attempt met, if any: the attempt's one (error) line. */
  conflict?: TopologyConflictError;
  /** Wait before the next attempt, and the ceiling it was drawn under. */
  delayMs: number;
  ceilingMs: number;
}

/**
 * The attempts of one connection and its reconnect backoff. The backoff starts over when the
 * connection is ready (every channel set up) or has stayed up `stableMs` — never on the TCP
 * connect alone: a connection that opens and then fails in setup (a topology conflict) would
 * otherwise retry at the base delay forever (77 reconnects in 20 s).
 */
export class ConnectionAttempts {
  private conflict?: TopologyConflictError;
  private stableTimer?: NodeJS.Timeout;

  constructor(
    private readonly backoff: ReconnectBackoff,
    private readonly stableMs: number,
    /** Called when the connection has stayed up `stableMs`. */
    private readonly onStable: () => void,
  ) {}

  /** The TCP connection is open; not yet a reason to start the backoff over. */
  opened(): void {
    clearTimeout(this.stableTimer);
    this.conflict = undefined;
    this.stableTimer = setTimeout(() => {
      this.backoff.reset();
      this.onStable();
    }, this.stableMs);
    this.stableTimer.unref();
  }

  /** Every channel is set up on the open connection: the next failure starts from the base delay. */
  ready(): void {
    if (this.stableTimer !== undefined && !this.conflict) {
      this.backoff.reset();
    }
  }

  /** A declare of this attempt met a 406. True for the first of the attempt (close the connection then). */
  conflicted(error: TopologyConflictError): boolean {
    if (this.conflict) {
      return false;
    }
    this.conflict = error;
    return true;
  }

  /**
   * The connection closed. `error` may itself be the conflict: amqplib escalates a channel
   * error nobody listens to (a 406 on a channel's own declare) to the whole connection.
   */
  closed(error: unknown): ClosedAttempt {
    clearTimeout(this.stableTimer);
    this.stableTimer = undefined;
    const conflict = this.conflict ?? TopologyConflictError.from(error);
    this.conflict = undefined;
    return { conflict, ...this.nextDelay() };
  }

  /** A connect failed (broker unreachable, refused, TLS, …). */
  failed(): ClosedAttempt {
    return this.nextDelay();
  }

  get attempts(): number {
    return this.backoff.attempts;
  }

  private nextDelay(): { delayMs: number; ceilingMs: number } {
    const delayMs = this.backoff.next();
    return { delayMs, ceilingMs: this.backoff.ceiling };
  }
}
