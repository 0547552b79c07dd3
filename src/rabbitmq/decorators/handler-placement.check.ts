import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { HandlerRegistrationError } from '../errors/handler-registration.error.js';
import { HANDLE_EVENT_METADATA } from './handle-event.decorator.js';

/**
 * Nest binds `@EventPattern` (and so `@HandleEvent`) only on controllers. On an `@Injectable`
 * provider — where `@nestjs/event-emitter` users put their `@OnEvent` — the handler would be
 * silently ignored: no queue, no error, no log. This check turns that into a start-up error.
 */
@Injectable()
export class HandlerPlacementCheck implements OnModuleInit {
  private readonly logger = new Logger(HandlerPlacementCheck.name);

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    const misplaced = this.misplacedHandlers();
    if (misplaced.length > 0) {
      const first = misplaced[0];
      const message =
        `@HandleEvent on ${misplaced.map((m) => `${m.className}.${m.method}`).join(', ')} would never receive a message: ` +
        `${first.className} is a provider, and Nest binds event handlers only on controllers. ` +
        `Move ${first.className} from its module's \`providers\` to its \`controllers\` (inject services into it as usual).`;
      this.logger.error(message);
      throw new HandlerRegistrationError(message);
    }
  }

  /** Every `@HandleEvent` method on a provider that is not also registered as a controller. */
  private misplacedHandlers(): { className: string; method: string }[] {
    const controllers = new Set(this.discovery.getControllers().map((wrapper) => wrapper.metatype));
    const found: { className: string; method: string }[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || controllers.has(wrapper.metatype)) {
        continue;
      }
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype) {
        continue;
      }
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = (prototype as Record<string, unknown>)[method];
        if (typeof fn === 'function' && Reflect.hasMetadata(HANDLE_EVENT_METADATA, fn)) {
          found.push({ className: instance.constructor.name, method });
        }
      }
    }
    return found;
  }
}
