import { describe, expect, it } from '@jest/globals';
import { Controller, Injectable, Logger, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { HandlerRegistrationError } from '../errors/handler-registration.error.js';
import { HandleEvent } from './handle-event.decorator.js';
import { HandlerPlacementCheck } from './handler-placement.check.js';

@Injectable()
class AuditService {
  @HandleEvent('order.created')
  onOrderCreated(): void {}
}

@Controller()
class AuditHandler {
  @HandleEvent('order.created')
  onOrderCreated(): void {}
}

@Injectable()
class PlainService {
  describe(): string {
    return 'no handlers here';
  }
}

/** Boots a real Nest container (no broker needed: the check runs on the DI graph). */
async function init(providers: (new () => object)[], controllers: (new () => object)[]): Promise<void> {
  @Module({ imports: [DiscoveryModule], providers: [HandlerPlacementCheck, ...providers], controllers })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .setLogger(new Logger('test', { timestamp: false }))
    .compile();
  try {
    await moduleRef.init();
  } finally {
    await moduleRef.close();
  }
}

describe('HandlerPlacementCheck', () => {
  it('fails start-up when @HandleEvent sits on a provider, saying to move it to controllers', async () => {
    const start = init([AuditService, PlainService], [AuditHandler]);
    await expect(start).rejects.toThrow(HandlerRegistrationError);
    await expect(init([AuditService], [])).rejects.toThrow(
      /@HandleEvent on AuditService\.onOrderCreated would never receive a message: AuditService is a provider.*Move AuditService from its module's `providers` to its `controllers`/,
    );
  });

  it('lets handlers on controllers, and providers without handlers, start', async () => {
    await expect(init([PlainService], [AuditHandler])).resolves.toBeUndefined();
  });

  it('accepts a handler class listed both as controller and provider (Nest binds it as the controller)', async () => {
    await expect(init([AuditHandler], [AuditHandler])).resolves.toBeUndefined();
  });
});
