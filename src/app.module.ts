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
        // The options loadConfig read from the environment (and already checked with the library), and the service's own
        // pool for the outbox: an order and its event commit in one transaction.
        RabbitMQModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (appConfig: AppConfig) => ({
            ...appConfig.rabbitmq,
            outbox: { database: pool, maxPending: appConfig.outboxMaxPending, maxPendingAgeMs: appConfig.outboxMaxPendingAgeMs },
          }),
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
