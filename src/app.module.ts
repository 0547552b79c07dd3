import { type DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
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
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
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
          ...(config.databaseUrl ? { outbox: { database: config.databaseUrl } } : {}),
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
