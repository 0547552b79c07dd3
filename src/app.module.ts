import { type DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { createDatabasePool } from './database/database-pool.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { InventoryModule } from './inventory/inventory.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { RabbitMQModule } from './rabbitmq/index.js';
import { UsersModule } from './users/users.module.js';

@Module({})
/** The service's modules. The request id and its correlation scope are applied by applyHttpHardening (Fastify hooks). */
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    const pool = createDatabasePool(config.databaseUrl);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(pool),
        RabbitMQModule.forRoot({
          // Every option of the library's table (module-option-table.ts), by its own name.
          ...config.moduleOptions,
          urls: config.amqpUrls,
          serviceName: config.serviceName,
          exchange: config.eventsExchange,
          queueType: config.queueType,
          codec: config.codec,
          compression: config.compression,
          retry: { attempts: config.retryAttempts, delaysMs: config.retryDelaysMs },
          memoryHighWatermarkBytes: config.memoryHighWatermarkBytes,
          tls: config.tls,
          // The service's own pool: an order and its event commit in one transaction.
          outbox: { database: pool, maxPending: config.outboxMaxPending, maxPendingAgeMs: config.outboxMaxPendingAgeMs },
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
}
