import type { ModulesContainer } from '@nestjs/core';
import type { RabbitServer } from '../server/rabbit-server.js';
import { asyncApiDocument } from './asyncapi-document.js';
import { readControllers } from './handler-payloads.js';
import type { JsonSchema } from './publishes.decorator.js';

/**
 * The AsyncAPI document of a service, from its RabbitServer once its handlers are registered (the
 * running service, or a module graph after `registerListeners()`: no broker needed) and its
 * controllers (Nest's ModulesContainer, injectable anywhere).
 */
export function buildCatalogue(server: RabbitServer, modules: ModulesContainer, info: { title?: string; version: string }): JsonSchema {
  const { exchange, serviceName, handlers } = server.describeHandlers();
  return asyncApiDocument({ title: info.title ?? serviceName, version: info.version, exchange, definitions: handlers, ...readControllers(modules) });
}
