import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { HandleEvent } from '../src/rabbitmq/index.js';
import { deadLetterQueueName } from '../src/rabbitmq/admin.js';
import { HEADER_ERROR_MESSAGE, HEADER_ERROR_TYPE } from '../src/rabbitmq/wire/message-headers.js';
import { BrokerProbe } from './support/broker.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

@Injectable()
class Calls {
  count = 0;
}

@Controller()
class WildcardHandler {
  constructor(private readonly calls: Calls) {}

  @HandleEvent('#.a.#.b')
  onEvent(): void {
    this.calls.count += 1;
  }
}

describe('a pattern taken from a message body cannot stall the event loop', () => {
  let probe: ProbeApp;
  let broker: BrokerProbe;

  beforeAll(async () => {
    probe = await startProbeApp('topic-match', [WildcardHandler], {}, [Calls]);
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    await probe?.dispose();
    await broker?.close();
  });

  it('a Nest envelope whose pattern is 20,001 words is parked at once as NoHandlerError, the loop never blocked', async () => {
    const queue = probe.server.queues()[0];
    const hostile = Array.from({ length: 20_001 }, () => 'a').join('.');
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    // Straight to the queue, as any producer may: the pattern in the body is all the handler sees.
    broker.publish('', queue, JSON.stringify({ pattern: hostile, data: {} }), { contentType: 'application/json', messageId: 'long-pattern' });
    broker.publish('', queue, JSON.stringify({ pattern: 'x.a.y.b', data: {} }), { contentType: 'application/json' });
    const parked = await waitFor('the parked message', () => broker.take(deadLetterQueueName(queue)), { timeoutMs: 15_000 });
    await waitFor('the matching message handled', () => probe.app.get(Calls).count === 1);
    lag.disable();
    expect(parked.properties.messageId).toBe('long-pattern');
    expect(parked.properties.headers![HEADER_ERROR_TYPE]).toBe('NoHandlerError');
    expect(parked.properties.headers![HEADER_ERROR_MESSAGE]).toContain('longer than 255 bytes');
    // Backtracking over every split of each '#' blocked the loop for 1.1 s on this input.
    expect(lag.max / 1e6).toBeLessThan(400);
  });
});
