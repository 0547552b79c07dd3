import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import amqp, { type AmqpConnectionManager } from 'amqp-connection-manager';
import { RABBITMQ_RESOLVED_OPTIONS } from '../rabbitmq.constants.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { connectionName } from '../topology/topology-names.js';
import type { ConnectionState } from './connection-state.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { redactText, redactUrl } from './redact-url.js';
import { socketOptions } from './socket-options.js';

export type ConnectionRole = 'publisher' | 'consumer';

/**
 * The two long-lived connections of the process, one per role. Publishing and consuming are
 * kept apart because the broker applies flow control per connection: a publisher throttled by
 * a memory alarm must not stall the acks that would relieve it.
 */
@Injectable()
export class RabbitConnections implements OnModuleInit {
  private readonly logger = new Logger(RabbitConnections.name);
  private readonly managers = new Map<ConnectionRole, AmqpConnectionManager>();
  private readonly states = new Map<ConnectionRole, ConnectionState>();
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

  state(role: ConnectionRole): ConnectionState {
    return { ...(this.states.get(role) ?? { connected: false, blocked: false, reconnects: 0 }) };
  }

  /** Waits until a role's connection is up, or rejects after `timeoutMs`. */
  async waitForConnect(role: ConnectionRole, timeoutMs: number): Promise<void> {
    await this.get(role).connect({ timeout: timeoutMs });
  }

  /** Closes both connections. Safe to call twice; a failure of one does not skip the other. */
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
    const backoff = new ReconnectBackoff(this.options.reconnectBaseMs, this.options.reconnectMaxMs);
    const manager = amqp.connect(this.options.urls, {
      heartbeatIntervalInSeconds: this.options.heartbeatSeconds,
      reconnectTimeInSeconds: this.options.reconnectBaseMs / 1000,
      connectionOptions: socketOptions(this.options, name),
    });
    // amqp-connection-manager waits `reconnectTimeInSeconds` after emitting 'disconnect' or
    // 'connectFailed'; setting it in those listeners turns its fixed delay into our backoff.
    const scheduleRetry = (): number => {
      const delayMs = backoff.next();
      manager.reconnectTimeInSeconds = delayMs / 1000;
      return delayMs;
    };
    let everConnected = false;
    manager.on('connect', ({ url }) => {
      backoff.reset();
      state.connected = true;
      state.url = redactUrl(typeof url === 'string' ? url : String((url as { hostname?: string }).hostname));
      if (everConnected) {
        state.reconnects += 1;
      }
      everConnected = true;
      this.logger.log(`${name} connected to ${state.url}`);
    });
    manager.on('disconnect', ({ err }) => {
      state.connected = false;
      state.blocked = false;
      state.lastError = redactText(String(err?.message ?? err));
      const delayMs = scheduleRetry();
      this.logger.warn(`${name} disconnected: ${state.lastError}; reconnecting in ${delayMs} ms`);
    });
    manager.on('connectFailed', ({ err, url }) => {
      state.lastError = redactText(String(err?.message ?? err));
      const delayMs = scheduleRetry();
      this.logger.warn(
        `${name} could not connect to ${redactUrl(String(url ?? ''))} (attempt ${backoff.attempts}): ${state.lastError}; retrying in ${delayMs} ms`,
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
