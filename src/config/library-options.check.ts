import type { DynamicModule, Provider } from '@nestjs/common';
import { type RabbitMQModuleOptions } from '../rabbitmq/index.js';
import { InvalidRabbitMQOptionsError, RABBITMQ_MODULE_OPTIONS, resolveRabbitMQOptions } from '../rabbitmq/admin.js';
import { InvalidConfigError } from './invalid-config.error.js';

/**
 * The environment variable behind each RabbitMQModule option outside MODULE_OPTION_TABLE (src/app.module.ts
 * passes them); a table option's message already names its variable.
 * Longest names first, so `retry.delaysMs` wins over `retry`.
 */
const OPTION_VARIABLES: ReadonlyArray<readonly [option: string, variable: string]> = [
  ['urls', 'AMQP_URL'],
  ['serviceName', 'SERVICE_NAME'],
  ['exchange', 'EVENTS_EXCHANGE'],
  ['queueType', 'QUEUE_TYPE'],
  ['codec', 'CODEC'],
  ['compression', 'COMPRESSION'],
  ['retry.attempts', 'RETRY_ATTEMPTS'],
  ['retry.delaysMs', 'RETRY_DELAYS_MS'],
  ['retry', 'RETRY_ATTEMPTS/RETRY_DELAYS_MS'],
  // The low mark is derived from the high one when only that is set, as the app does.
  ['memoryHighWatermarkBytes', 'MEMORY_HIGH_WATERMARK_BYTES'],
  ['memoryLowWatermarkBytes', 'MEMORY_HIGH_WATERMARK_BYTES'],
  ['tls', 'AMQP_TLS_*'],
];

/**
 * Validates the RabbitMQModule options the app module was built with, before Nest instantiates
 * anything: inside Nest, an invalid option is logged with a stack naming internal option names
 * (`handlerTimeoutMs`), and the process aborts. Here it becomes one InvalidConfigError naming
 * the environment variable, which main.ts prints as one line before exiting 1.
 */
export function assertLibraryOptions(appModule: DynamicModule): void {
  const options = findModuleOptions(appModule);
  if (options === undefined) {
    return;
  }
  try {
    resolveRabbitMQOptions(options);
  } catch (error) {
    if (error instanceof InvalidRabbitMQOptionsError) {
      throw new InvalidConfigError(`invalid configuration: ${toVariableMessage(error.message)}`);
    }
    throw error;
  }
}

/** "handlerTimeoutMs must be …" → "HANDLER_TIMEOUT_MS must be …" (the option names only what the code calls it). */
export function toVariableMessage(message: string): string {
  const match = [...OPTION_VARIABLES]
    .sort(([a], [b]) => b.length - a.length)
    .find(([option]) => message.startsWith(option) && /^[\s([]/.test(message.slice(option.length)));
  return match ? `${match[1]}${message.slice(match[0].length)}` : message;
}

/** The options given to RabbitMQModule.forRoot, found among the (nested) imports. */
function findModuleOptions(module: DynamicModule): RabbitMQModuleOptions | undefined {
  for (const provider of module.providers ?? []) {
    const candidate = provider as Provider & { provide?: unknown; useValue?: unknown };
    if (candidate.provide === RABBITMQ_MODULE_OPTIONS && candidate.useValue !== undefined) {
      return candidate.useValue as RabbitMQModuleOptions;
    }
  }
  for (const imported of module.imports ?? []) {
    if (imported && typeof imported === 'object' && 'module' in imported) {
      const found = findModuleOptions(imported);
      if (found) {
        return found;
      }
    }
  }
  return undefined;
}
