import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { HealthModule } from './health/health.module.js';
import { InventoryModule } from './inventory/inventory.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { correlationIdMiddleware, RabbitMQModule } from './rabbitmq/index.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule implements NestModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        RabbitMQModule.forRoot({
          urls: config.amqpUrls,
          serviceName: config.serviceName,
          exchange: config.eventsExchange,
          prefetch: config.prefetch,
          queueType: config.queueType,
          maxMessageBytes: config.maxMessageBytes,
          codec: config.codec,
          compression: config.compression,
          compressThresholdBytes: config.compressThresholdBytes,
          maxJsonDepth: config.maxJsonDepth,
          publishTimeoutMs: config.publishTimeoutMs,
          shutdownGraceMs: config.shutdownGraceMs,
          handlerTimeoutMs: config.handlerTimeoutMs,
          requestTimeoutMs: config.requestTimeoutMs,
          retry: { attempts: config.retryAttempts, delaysMs: config.retryDelaysMs },
          deliveryLimit: config.deliveryLimit,
          maxInFlightBytes: config.maxInFlightBytes,
          memoryHighWatermarkBytes: config.memoryHighWatermarkBytes,
          maxPendingPublishes: config.maxPendingPublishes,
          publishFailFastMs: config.publishFailFastMs,
          confirmStallMs: config.confirmStallMs,
          stuckConsumerMs: config.stuckConsumerMs,
          readinessMaxQueueDepth: config.readinessMaxQueueDepth,
          deadLetterMaxLength: config.deadLetterMaxLength,
          unroutedMaxLength: config.unroutedMaxLength,
          unroutedTtlMs: config.unroutedTtlMs,
          reconnectBaseMs: config.reconnectBaseMs,
          reconnectMaxMs: config.reconnectMaxMs,
          tls: config.tls,
        }),
        OrdersModule,
        UsersModule,
        InventoryModule,
        NotificationsModule,
        HealthModule,
        MetricsModule,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(correlationIdMiddleware).forRoutes('*path');
  }
}
