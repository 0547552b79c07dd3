import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { ConnectionState } from '../connection/connection-state.js';
import { RabbitConnections } from '../connection/rabbit-connections.js';
import { RabbitLifecycle } from '../lifecycle/rabbit-lifecycle.js';
import { RabbitPublisher } from '../publisher/rabbit-publisher.js';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { RABBITMQ_RESOLVED_OPTIONS } from '../rabbitmq.constants.js';
import { RabbitServer } from '../server/rabbit-server.js';
import { QueueDepthReader } from './queue-depth-reader.js';

/** Share of the publish buffer above which the instance stops taking traffic. */
export const PUBLISH_BUFFER_READY_RATIO = 0.8;

/**
 * Depth reads in a row that timed out before readiness goes down. A broker answers a passive
 * declare in milliseconds: one late answer is a busy broker, two in a row a frozen one (or the
 * network to it) that an idle service would otherwise report ready until heartbeats expire.
 */
export const DEPTH_TIMEOUTS_BEFORE_NOT_READY = 2;

/**
 * Readiness of the RabbitMQ side, in terminus format: down when a connection is down, the broker
 * blocks us, the publish buffer is nearly full, publish confirms have stalled (a hung broker), or
 * shutdown has begun. Details carry the state an
 * operator needs (never credentials): connections, paused consumers, and the depth of every
 * consumed queue.
 */
@Injectable()
export class RabbitMQHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly connections: RabbitConnections,
    private readonly publisher: RabbitPublisher,
    private readonly server: RabbitServer,
    private readonly lifecycle: RabbitLifecycle,
    private readonly depths: QueueDepthReader,
    @Inject(RABBITMQ_RESOLVED_OPTIONS) private readonly options: ResolvedRabbitMQOptions,
  ) {}

  /** Depth reads in a row that got no answer within `readiness.depthReadTimeoutMs`; any answer resets it. */
  private depthTimeouts = 0;

  async isReady(key = 'rabbitmq') {
    const indicator = this.health.check(key);
    const publisher = this.connections.state('publisher');
    const consumer = this.connections.state('consumer');
    const buffer = this.publisher.status();
    const problems: string[] = [];
    if (this.lifecycle.isShuttingDown) problems.push('shutting down');
    // A conflict first: it is why a connection keeps dropping, and what an operator must fix.
    const conflicts = new Set([publisher.topologyConflict, consumer.topologyConflict].filter((text) => text !== undefined));
    problems.push(...conflicts);
    if (!publisher.connected && !publisher.topologyConflict) problems.push('publisher connection down');
    if (!consumer.connected && !consumer.topologyConflict) problems.push('consumer connection down');
    // The replies connection is shown in the details but never takes readiness down: a requester's
    // reply address the broker cannot resolve (a well-formed pid of an unknown node) makes the broker
    // close it, and that must not take a replica out of service. It comes back by itself.
    if (publisher.blocked) problems.push(`broker blocks publishers: ${publisher.blockedReason ?? 'resource alarm'}`);
    if (buffer.pending >= buffer.maxPending * PUBLISH_BUFFER_READY_RATIO) problems.push('publish buffer nearly full');
    if (buffer.confirmStallMs !== undefined) {
      problems.push(`publish confirms stalled: the broker has not confirmed a publish for ${buffer.confirmStallMs} ms (hung broker?)`);
    }
    const detached = this.server.consumerStatus().filter((status) => !status.attached);
    if (detached.length > 0) problems.push(`consumers not attached: ${detached.map((status) => status.queue).join(', ')}`);
    const queues = consumer.connected ? await this.readDepths() : {};
    if (this.depthTimeouts >= DEPTH_TIMEOUTS_BEFORE_NOT_READY) {
      problems.push(
        `broker not answering: ${this.depthTimeouts} queue-depth reads in a row got no answer within ${this.options.readiness.depthReadTimeoutMs} ms (frozen or hung broker, or the network to it)`,
      );
    }
    problems.push(...this.queueProblems(queues));
    const details = {
      connections: {
        publisher: connectionDetails(publisher),
        consumer: connectionDetails(consumer),
        ...(this.connections.roles().includes('replies') ? { replies: connectionDetails(this.connections.state('replies')) } : {}),
      },
      blocked: publisher.blocked || consumer.blocked,
      ...(conflicts.size > 0 ? { topologyConflict: [...conflicts][0] } : {}),
      publishBuffer: { pending: buffer.pending, max: buffer.maxPending, confirmStallMs: buffer.confirmStallMs ?? null },
      flow: this.server.flowStatus(),
      consumers: this.server.consumerStatus(),
      // No effect on readiness (docs/operations.md, "Kill switch"): every replica shares the dependency.
      killSwitchesOpen: this.server.consumerStatus().filter((status) => status.killSwitch === 'open').length,
      queues,
    };
    return problems.length === 0 ? indicator.up(details) : indicator.down({ ...details, reasons: problems });
  }

  /**
   * A stuck consumer: its queue has work (ready or in flight), it is consuming, and nothing was
   * settled for `readiness.stuckConsumerMs`. Also the optional depth limit per queue.
   */
  private queueProblems(queues: Record<string, { messages?: number }>): string[] {
    const problems: string[] = [];
    const now = Date.now();
    for (const status of this.server.consumerStatus()) {
      const ready = queues[status.queue]?.messages ?? 0;
      // A standby of an ordered (single-active-consumer) queue gets nothing however many are ready.
      const hasWork = status.inFlight > 0 || (ready > 0 && !status.ordered);
      const idleMs = now - status.lastProgressAt;
      if (status.consuming && hasWork && idleMs > this.options.readiness.stuckConsumerMs) {
        problems.push(
          `consumer of ${status.queue} stuck: ${status.inFlight} in flight, ${ready} ready, nothing settled for ${Math.round(idleMs / 1000)} s`,
        );
      }
      if (this.options.readiness.maxQueueDepth > 0 && ready > this.options.readiness.maxQueueDepth) {
        problems.push(`${status.queue} holds ${ready} messages, over the limit of ${this.options.readiness.maxQueueDepth}`);
      }
    }
    return problems;
  }

  /** Depths, or none when the broker did not answer in time (counted: readiness goes down on repeats). */
  private async readDepths(): Promise<Record<string, { messages?: number; error?: string }>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>(
      (resolve) => (timer = setTimeout(() => resolve(undefined), this.options.readiness.depthReadTimeoutMs).unref()),
    );
    // Only queues whose consumer is attached exist for sure (declared by its channel's setup).
    const attached = this.server
      .consumerStatus()
      .filter((status) => status.attached)
      .map((status) => status.queue);
    const depths = await Promise.race([this.depths.read(attached), timeout]);
    clearTimeout(timer);
    this.depthTimeouts = depths === undefined ? this.depthTimeouts + 1 : 0;
    return depths ?? {};
  }
}

/** What readiness details show of a connection (not its blocked reason or topology conflict: those are reasons). */
function connectionDetails({ connected, blocked, reconnects }: ConnectionState): { connected: boolean; blocked: boolean; reconnects: number } {
  return { connected, blocked, reconnects };
}
