import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { RabbitConnections } from '../connection/rabbit-connections.js';
import { RabbitPublisher } from '../publisher/rabbit-publisher.js';
import { RabbitServer } from '../server/rabbit-server.js';

/**
 * Owns the shutdown order, which no single provider can guarantee on its own:
 * consumers cancelled and drained (handlers may still publish) → outstanding publish confirms
 * awaited → channels and connections closed. Nest closes the HTTP server and the transport
 * (RabbitServer.close, idempotent) before `onApplicationShutdown`. Every step runs even if an
 * earlier one failed.
 */
@Injectable()
export class RabbitLifecycle implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(RabbitLifecycle.name);
  private shuttingDown = false;

  constructor(
    private readonly server: RabbitServer,
    private readonly publisher: RabbitPublisher,
    private readonly connections: RabbitConnections,
  ) {}

  /** True from the moment shutdown starts: readiness must fail at once. */
  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Marks the start of shutdown (called on the first signal, before anything closes). */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  beforeApplicationShutdown(): void {
    this.beginShutdown();
  }

  async onApplicationShutdown(): Promise<void> {
    const steps: [string, () => Promise<void>][] = [
      ['draining consumers', () => this.server.close()],
      ['flushing publish confirms', () => this.publisher.close()],
      ['closing connections', () => this.connections.close()],
    ];
    for (const [step, run] of steps) {
      try {
        await run();
      } catch (error) {
        this.logger.error(`${step} failed: ${String(error)}`);
      }
    }
  }
}
