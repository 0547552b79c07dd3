import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { HandleEvent, RabbitContext, Retry } from '../src/rabbitmq/index.js';
import { deadLetterQueueName, RabbitMQHealthIndicator, retryQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe } from './support/broker.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

@Injectable()
class Downstream {
  healthy = false;
  calls = 0;
  hungCalls = 0;
}

@Controller()
class GuardedHandlers {
  constructor(private readonly downstream: Downstream) {}

  @HandleEvent('guarded.work')
  @Retry({ attempts: 20, delaysMs: [100] })
  work(@Payload() _data: unknown): void {
    this.downstream.calls += 1;
    if (!this.downstream.healthy) {
      // As a client library reports it: the code is what tells the kill switch a dependency is down.
      throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' });
    }
  }

  @HandleEvent('guarded.slow', { timeoutMs: 300 })
  @Retry({ attempts: 1, delaysMs: [100] })
  slow(@Payload() _data: unknown, @Ctx() _context: RabbitContext): Promise<void> {
    this.downstream.hungCalls += 1;
    return new Promise(() => undefined); // a downstream that never answers
  }
}

describe('kill switch and handler timeout on the real broker', () => {
  let probeApp: ProbeApp;
  let broker: BrokerProbe;
  let downstream: Downstream;
  const workQueue = () => `${probeApp.serviceName}.guarded.work`;
  const slowQueue = () => `${probeApp.serviceName}.guarded.slow`;
  const statusOf = (queue: string) => probeApp.server.consumerStatus().find((s) => s.queue === queue);

  beforeAll(async () => {
    probeApp = await startProbeApp(
      'killswitch',
      [GuardedHandlers],
      { consume: { killSwitch: { window: 4, failureRatio: 0.5, cooldownMs: 1_500 } } },
      [Downstream],
    );
    downstream = probeApp.app.get(Downstream);
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    await broker?.close();
    if (probeApp) {
      const extra = [retryQueueName(workQueue(), 100), retryQueueName(slowQueue(), 100)];
      await probeApp.dispose();
      const cleanup = await BrokerProbe.open();
      await cleanup.remove({ queues: extra });
      await cleanup.close();
    }
  });

  it('trips under a 100% failure rate, stops consuming, and recovers on trial once the handler heals', async () => {
    for (let i = 0; i < 4; i++) {
      broker.publish(probeApp.exchange, 'guarded.work', JSON.stringify({ i }), { messageId: `w-${i}` });
    }
    await waitFor('the kill switch to trip', () => statusOf(workQueue())?.killSwitch === 'open');
    expect(statusOf(workQueue())).toMatchObject({ consuming: false, pausedFor: ['kill-switch'] });
    // Documented effect on readiness: none (every replica shares the dependency); the details say it.
    const readiness = (await probeApp.app.get(RabbitMQHealthIndicator).isReady()) as unknown as {
      rabbitmq: { status: string; killSwitchesOpen: number };
    };
    expect(readiness.rabbitmq).toMatchObject({ status: 'up', killSwitchesOpen: 1 });
    const callsWhenTripped = downstream.calls;
    // The retries come back to the queue and wait there instead of burning their attempts.
    await waitFor('retried messages waiting in the paused queue', async () => (await broker.ready(workQueue())) >= 1);
    expect(downstream.calls).toBe(callsWhenTripped);
    expect(await broker.ready(deadLetterQueueName(workQueue()))).toBe(0);

    downstream.healthy = true;
    await waitFor('the trial to succeed and the switch to close', () => statusOf(workQueue())?.killSwitch === 'closed', {
      timeoutMs: 10_000,
    });
    expect(statusOf(workQueue())).toMatchObject({ consuming: true, pausedFor: [] });
    await waitFor(
      'every message processed',
      async () => (await broker.ready(workQueue())) === 0 && (await broker.ready(retryQueueName(workQueue(), 100))) === 0,
      {
        timeoutMs: 10_000,
      },
    );
    expect(await broker.ready(deadLetterQueueName(workQueue()))).toBe(0);
  });

  it('fails a handler that outlives its timeout as retryable, then parks it with HandlerTimeoutError', async () => {
    const publishedAt = Date.now();
    broker.publish(probeApp.exchange, 'guarded.slow', JSON.stringify({ n: 1 }));
    const parked = await waitFor('the timed-out message in the DLQ', () => broker.take(deadLetterQueueName(slowQueue())), {
      timeoutMs: 5_000,
    });
    // Two deliveries (first + 1 retry), each abandoned after 300 ms.
    expect(downstream.hungCalls).toBe(2);
    expect(Date.now() - publishedAt).toBeGreaterThanOrEqual(600);
    expect(parked.properties.headers).toMatchObject({
      'x-error-type': 'HandlerTimeoutError',
      'x-error-message': 'handler did not settle within 300 ms',
      'x-retry-count': 1,
    });
  });
});
