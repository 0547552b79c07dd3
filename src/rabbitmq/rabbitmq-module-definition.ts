import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { RabbitMQModuleOptions } from './options/rabbitmq-options.interface.js';

/** Generates forRoot / forRootAsync and the options token, instead of ~100 hand-written lines. */
export const {
  ConfigurableModuleClass: RabbitMQConfigurableModule,
  MODULE_OPTIONS_TOKEN: RABBITMQ_MODULE_OPTIONS,
  OPTIONS_TYPE: RABBITMQ_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: RABBITMQ_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RabbitMQModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
