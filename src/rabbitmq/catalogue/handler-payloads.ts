import type { ModulesContainer } from '@nestjs/core';
import { defaultHandlerName, HANDLE_EVENT_METADATA } from '../decorators/handle-event.decorator.js';
import { isDto } from './dto-schema.js';
import { publishedBy, replyOf, type PayloadShape, type PublishedEvent } from './publishes.decorator.js';

/** What the controllers of an app say of their messages: payload DTOs and replies per handler name, and published events. */
export interface ControllerCatalogue {
  /** Handler name (`inventory.order-created`) → its payload DTO and `@Replies` shape. */
  handlers: Map<string, { payload?: PayloadShape; reply?: PayloadShape }>;
  published: PublishedEvent[];
}

/**
 * Reads every controller of a module graph (Nest's public ModulesContainer): a handler's payload
 * DTO is its first parameter class-validator knows (the one EventPayloadPipe validates).
 */
export function readControllers(modules: ModulesContainer): ControllerCatalogue {
  const handlers: ControllerCatalogue['handlers'] = new Map();
  const published: PublishedEvent[] = [];
  for (const module of modules.values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (abstract new (...args: never[]) => unknown) | null;
      if (typeof controller !== 'function') continue;
      published.push(...publishedBy(controller));
      const prototype = controller.prototype as Record<string, unknown>;
      for (const key of Object.getOwnPropertyNames(prototype)) {
        const method = prototype[key];
        if (typeof method !== 'function' || Reflect.getMetadata(HANDLE_EVENT_METADATA, method) === undefined) continue;
        const parameters = (Reflect.getMetadata('design:paramtypes', prototype, key) as unknown[] | undefined) ?? [];
        handlers.set(defaultHandlerName(controller.name, key), { payload: parameters.find(isDto), reply: replyOf(method) });
      }
    }
  }
  return { handlers, published };
}
