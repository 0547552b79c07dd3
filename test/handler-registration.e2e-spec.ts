import { describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { EventPattern, MessagePattern } from '@nestjs/microservices';
import { HandleEvent } from '../src/rabbitmq/index.js';
import { startProbeApp } from './support/probe-app.js';

@Controller()
class ClashingHandlers {
  // Two plain @EventPattern handlers of one event with no queue name would share a queue.
  @EventPattern('clash.created')
  first(_data: unknown): void {}

  @EventPattern('clash.created')
  second(_data: unknown): void {}
}

@Controller()
class WildcardRequestHandler {
  // A request goes to one queue by name: a wildcard cannot say which handler answers.
  @MessagePattern('sum.*')
  sum(): number {
    return 1;
  }
}

@Controller()
class ZeroPrefetchHandler {
  @HandleEvent('zero.prefetch', { prefetch: 0 })
  handle(): void {}
}

/** Where `@nestjs/event-emitter` users put `@OnEvent`: Nest never binds an event handler here. */
@Injectable()
class ProviderHandler {
  @HandleEvent('provider.created')
  onProviderCreated(): void {}
}

describe('handler registration fails fast at start-up', () => {
  it('refuses two handlers that would silently share one queue, naming both', async () => {
    await expect(startProbeApp('clash', [ClashingHandlers])).rejects.toThrow(
      /handlers 'clash\.created' \(clash\.created\) and 'clash\.created' \(clash\.created\) would share queue/,
    );
  });

  it('refuses a @MessagePattern with a wildcard (requests need an exact pattern)', async () => {
    await expect(startProbeApp('rpc', [WildcardRequestHandler])).rejects.toThrow(/request pattern 'sum\.\*' has a wildcard/);
  });

  it('refuses an unbounded prefetch of 0', async () => {
    await expect(startProbeApp('zero', [ZeroPrefetchHandler])).rejects.toThrow(/prefetch of handler .* must be an integer from 1/);
  });

  it('refuses @HandleEvent on a provider (silently ignored by Nest otherwise), saying to move it to controllers', async () => {
    await expect(startProbeApp('provider', [], {}, [ProviderHandler])).rejects.toThrow(
      /@HandleEvent on ProviderHandler\.onProviderCreated would never receive a message: .*Move ProviderHandler .* to its `controllers`/,
    );
  });
});
