import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import amqp, { type AmqpConnectionManager } from 'amqp-connection-manager';
import type { Channel } from 'amqplib';
import { TopologyConflictError } from '../errors/topology-conflict.error.js';
import { CONNECTION_STABLE_MS, RABBITMQ_RESOLVED_OPTIONS } from '../rabbitmq.constants.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { connectionName } from '../topology/topology-names.js';
import type { TopologyReporter } from '../topology/topology-reporter.js';
import type { ConnectionState } from './connection-state.js';
import { ConnectionAttempts } from './connection-attempts.js';
import { negotiatedHeartbeatSeconds } from './negotiated-heartbeat.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { redactText, redactUrl } from '../logging/redact-url.js';
import { socketOptions } from './socket-options.js';
import { TopologyStatus } from './topology-status.js';

/**
 * `replies` carries the answers of request handlers, and is opened only by a service that has
 * one: a reply goes wherever its request's `replyTo` says, and an address the broker cannot
 * resolve closes the connection it was published on, which must never be the publisher's.
 */
export type ConnectionRole = 'publisher' | 'consumer' | 'replies';

/**
 * The long-lived connections of the process, one per role. Publishing and consuming are
 * kept apart because the broker applies flow control per connection: a publisher throttled by
 * a memory alarm must not stall the acks that would relieve it.
 */
@Injectable()
export class RabbitConnections implements OnModuleInit {
  private readonly logger = new Logger(RabbitConnections.name);
  private readonly managers = new Map<ConnectionRole, AmqpConnectionManager>();
  private readonly states = new Map<ConnectionRole, ConnectionState>();
  private readonly topology = new Map<ConnectionRole, TopologyStatus>();
  /** Starts the role's backoff over: its connection proved usable, not merely opened. */
  private readonly settle = new Map<ConnectionRole, () => void>();
  /** Older topology forms already logged, shared by both roles so each is logged once. */
  private readonly notedTopology = new Set<string>();
  private closing?: Promise<void>;

  constructor(@Inject(RABBITMQ_RESOLVED_OPTIONS) private readonly options: ResolvedRabbitMQOptions) {}

  onModuleInit(): void {
    this.get('publisher');
    this.get('consumer');
  }

  /** The connection of a role, created on first use; never one per request. */
  get(role: ConnectionRole): AmqpConnectionManager {
    const existing = this.managers.get(role);
    if (existing) {
      return existing;
    }
    const manager = this.create(role);
    this.managers.set(role, manager);
    return manager;
  }

  /** The roles with a connection: publisher and consumer from the start, replies once a request handler answers. */
  roles(): ConnectionRole[] {
    return [...this.managers.keys()];
  }

  state(role: ConnectionRole): ConnectionState {
    const conflict = this.topologyConflict(role);
    return {
      ...(this.states.get(role) ?? { connected: false, blocked: false, reconnects: 0 }),
      ...(conflict ? { topologyConflict: conflict.message } : {}),
    };
  }

  /** Where the declarations of a role's channels report conflicts and older forms. */
  reporter(role: ConnectionRole): TopologyReporter {
    this.get(role);
    return this.topology.get(role)!;
  }

  /**
   * Every channel of the role has finished its setup (topology declared, consumers attached) on
   * the current connection: it is ready, so its reconnect backoff starts over. A connection that
   * opens and then fails in setup (a topology conflict) never gets here, and keeps backing off.
   */
  channelsReady(role: ConnectionRole): void {
    this.settle.get(role)?.();
  }

  /** A topology conflict of the role's declarations still standing (406 on the last attempt). */
  topologyConflict(role: ConnectionRole): TopologyConflictError | undefined {
    return this.topology.get(role)?.current;
  }

  /**
   * Opens a short-lived channel on the role's current connection, for a declare that may fail
   * (the broker closes the channel of a failed declare; a scratch one costs nothing to lose).
   */
  scratchChannel(role: ConnectionRole): () => Promise<Channel> {
    return async () => {
      const connection = this.get(role).connection;
      if (!connection) {
        throw new Error(`the ${role} connection is down`);
      }
      return connection.createChannel();
    };
  }

  /** Waits until a role's connection is up, or rejects after `timeoutMs`. */
  async waitForConnect(role: ConnectionRole, timeoutMs: number): Promise<void> {
    await this.get(role).connect({ timeout: timeoutMs });
  }

  /** Closes every connection. Safe to call twice; a failure of one does not skip the others. */
  close(): Promise<void> {
    this.closing ??= Promise.allSettled(
      [...this.managers.entries()].map(async ([role, manager]) => {
        try {
          await manager.close();
        } catch (error) {
          this.logger.warn(`closing the ${role} connection failed: ${redactText(String(error))}`);
        }
      }),
    ).then(() => undefined);
    return this.closing;
  }

  private create(role: ConnectionRole): AmqpConnectionManager {
    const name = connectionName(this.options.serviceName, role);
    const state: ConnectionState = { connected: false, blocked: false, reconnects: 0 };
    this.states.set(role, state);
    const backoff = new ReconnectBackoff(this.options.connection.reconnectBaseMs, this.options.connection.reconnectMaxMs);
    const topology = new TopologyStatus(this.logger, this.notedTopology, (error) => {
      if (attempts.conflicted(error)) {
        // Readiness is down and every channel of this connection waits for a fresh one: close it
        // and let the reconnect backoff pace the retries (they grow up to reconnectMaxMs).
        void manager.connection?.close().catch(() => undefined);
      }
    });
    this.topology.set(role, topology);
    // After 10 s up, whatever conflicted before no longer stands in the way.
    const attempts = new ConnectionAttempts(backoff, CONNECTION_STABLE_MS, () => topology.clear());
    this.settle.set(role, () => attempts.ready());
    const manager = amqp.connect(this.options.urls, {
      heartbeatIntervalInSeconds: negotiatedHeartbeatSeconds(this.options.connection.heartbeatSeconds),
      reconnectTimeInSeconds: this.options.connection.reconnectBaseMs / 1000,
      connectionOptions: socketOptions(this.options, name),
    });
    // amqp-connection-manager waits `reconnectTimeInSeconds` after emitting 'disconnect' or
    // 'connectFailed'; setting it in those listeners turns its fixed delay into our backoff.
    const waitBeforeRetry = ({ delayMs }: { delayMs: number }) => (manager.reconnectTimeInSeconds = delayMs / 1000);
    let everConnected = false;
    manager.on('connect', ({ url }) => {
      attempts.opened();
      state.connected = true;
      state.url = redactUrl(typeof url === 'string' ? url : String((url as { hostname?: string }).hostname));
      if (everConnected) {
        state.reconnects += 1;
      }
      everConnected = true;
      // While a conflict stands, each attempt gets one line: the conflict's, at disconnect.
      if (!topology.current) {
        this.logger.log(`${name} connected to ${state.url}`);
      }
    });
    manager.on('disconnect', ({ err }) => {
      state.connected = false;
      state.blocked = false;
      const closed = attempts.closed(err);
      waitBeforeRetry(closed);
      if (closed.conflict) {
        topology.record(closed.conflict); // an escalated 406 was not reported by a setup
        state.lastError = closed.conflict.summary;
        this.logger.error(`${name}: ${redactText(closed.conflict.message)}; retrying in ${closed.delayMs} ms (backoff up to ${closed.ceilingMs} ms)`);
      } else {
        state.lastError = redactText(String(err?.message ?? err));
        this.logger.warn(`${name} disconnected: ${state.lastError}; reconnecting in ${closed.delayMs} ms`);
      }
    });
    manager.on('connectFailed', ({ err, url }) => {
      state.lastError = redactText(String(err?.message ?? err));
      const failed = attempts.failed();
      waitBeforeRetry(failed);
      this.logger.warn(
        `${name} could not connect to ${redactUrl(typeof url === 'string' ? url : String(url?.hostname ?? ''))} (attempt ${attempts.attempts}): ${state.lastError}; retrying in ${failed.delayMs} ms`,
      );
    });
    manager.on('blocked', ({ reason }) => {
      state.blocked = true;
      state.blockedReason = reason;
      this.logger.warn(`${name} blocked by the broker: ${reason}`);
    });
    manager.on('unblocked', () => {
      state.blocked = false;
      state.blockedReason = undefined;
      this.logger.log(`${name} unblocked`);
    });
    return manager;
  }
}
