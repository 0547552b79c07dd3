import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { RabbitClient } from './client/rabbit-client.js';
import { RabbitConnections } from './connection/rabbit-connections.js';
import { HandlerPlacementCheck } from './decorators/handler-placement.check.js';
import { RabbitLifecycle } from './lifecycle/rabbit-lifecycle.js';
import { QueueDepthReader } from './health/queue-depth-reader.js';
import { RabbitMQHealthIndicator } from './health/rabbitmq.health-indicator.js';
import { RabbitMetrics } from './metrics/rabbitmq-metrics.js';
import { FlowMetricsCollector } from './metrics/flow-metrics.collector.js';
import { RabbitMetricsCollector } from './metrics/rabbitmq-metrics.collector.js';
import type { RabbitMQModuleOptions, ResolvedRabbitMQOptions } from './options/rabbitmq-options.interface.js';
import { resolveRabbitMQOptions } from './options/resolve-options.js';
import { RabbitPublisher } from './publisher/rabbit-publisher.js';
import { RabbitRequester } from './rpc/rabbit-requester.js';
import { RABBITMQ_MODULE_OPTIONS, RabbitMQConfigurableModule } from './rabbitmq-module-definition.js';
import { RABBITMQ_RESOLVED_OPTIONS } from './rabbitmq.constants.js';
import { RabbitServer } from './server/rabbit-server.js';
import { OutboxMetrics } from './metrics/outbox-metrics.js';
import { Inbox } from './outbox/inbox.js';
import { Outbox } from './outbox/outbox.js';
import { OutboxDatabase } from './outbox/outbox-database.js';
import { OutboxRelay } from './outbox/outbox-relay.js';

/**
 * The RabbitMQ library module. `RabbitMQModule.forRoot({ urls, serviceName })` (or
 * `forRootAsync`) gives the app a RabbitClient to publish with and a RabbitServer to attach as
 * the microservice transport. Global by default: one pair of connections per process. With an
 * `outbox` option it also gives Outbox and Inbox on PostgreSQL, and runs the outbox relay.
 */
@Module({
  imports: [TerminusModule, DiscoveryModule],
  providers: [
    {
      provide: RABBITMQ_RESOLVED_OPTIONS,
      inject: [RABBITMQ_MODULE_OPTIONS],
      useFactory: (options: RabbitMQModuleOptions) => resolveRabbitMQOptions(options),
    },
    RabbitConnections,
    RabbitPublisher,
    RabbitClient,
    RabbitRequester,
    RabbitServer,
    RabbitLifecycle,
    QueueDepthReader,
    RabbitMQHealthIndicator,
    RabbitMetrics,
    {
      provide: RabbitMetricsCollector,
      inject: [RabbitMetrics, RabbitConnections, RabbitServer, RabbitPublisher, QueueDepthReader, RABBITMQ_RESOLVED_OPTIONS],
      useFactory: (
        metrics: RabbitMetrics,
        connections: RabbitConnections,
        server: RabbitServer,
        publisher: RabbitPublisher,
        depths: QueueDepthReader,
        options: ResolvedRabbitMQOptions,
      ) => new RabbitMetricsCollector(metrics, connections, server, publisher, depths, new QueueDepthReader(connections), options),
    },
    {
      provide: FlowMetricsCollector,
      inject: [RABBITMQ_RESOLVED_OPTIONS, RabbitMetrics, RabbitServer],
      useFactory: (options: ResolvedRabbitMQOptions, metrics: RabbitMetrics, server: RabbitServer) =>
        new FlowMetricsCollector(options.flow, metrics, server),
    },
    HandlerPlacementCheck,
    OutboxMetrics,
    OutboxDatabase,
    OutboxRelay,
    Outbox,
    Inbox,
  ],
  exports: [
    RABBITMQ_RESOLVED_OPTIONS,
    RabbitConnections,
    RabbitPublisher,
    RabbitClient,
    RabbitRequester,
    RabbitServer,
    RabbitLifecycle,
    RabbitMQHealthIndicator,
    QueueDepthReader,
    RabbitMetrics,
    Outbox,
    Inbox,
    OutboxRelay,
  ],
})
export class RabbitMQModule extends RabbitMQConfigurableModule {}
