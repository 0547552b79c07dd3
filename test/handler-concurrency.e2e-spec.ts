import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { HandleEvent } from '../src/rabbitmq/index.js';
import { BrokerProbe } from './support/broker.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

const PREFETCH = 20;
const CONCURRENCY = 3;
const COUNT = 40;

/** Same length for every n below 100. */
function body(n: number): string {
  return JSON.stringify({ n: n.toString().padStart(2, '0'), pad: 'x'.repeat(100) });
}

@Injectable()
class Work {
  readonly done: number[] = [];
  running = 0;
  mostRunning = 0;
}

@Controller()
class ThrottledHandler {
  constructor(private readonly work: Work) {}

  @HandleEvent('work.item', { prefetch: PREFETCH, concurrency: CONCURRENCY })
  async onItem(@Payload() item: { n: string }): Promise<void> {
    this.work.running += 1;
    this.work.mostRunning = Math.max(this.work.mostRunning, this.work.running);
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      this.work.done.push(Number(item.n));
    } finally {
      this.work.running -= 1;
    }
  }
}

describe('per-handler concurrency on the real broker', () => {
  let probeApp: ProbeApp;
  let broker: BrokerProbe;
  let work: Work;

  beforeAll(async () => {
    probeApp = await startProbeApp('concurrency', [ThrottledHandler], {}, [Work]);
    work = probeApp.app.get(Work);
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    await broker?.close();
    await probeApp?.dispose();
  });

  it(`runs at most ${CONCURRENCY} at once while up to ${PREFETCH} are delivered (and counted in the byte budget)`, async () => {
    const queue = `${probeApp.serviceName}.throttled.item`;
    let mostInFlight = 0;
    let mostBytes = 0;
    let mostReportedRunning = 0;
    const sampler = setInterval(() => {
      const status = probeApp.server.consumerStatus().find((s) => s.queue === queue);
      mostInFlight = Math.max(mostInFlight, status?.inFlight ?? 0);
      mostReportedRunning = Math.max(mostReportedRunning, status?.running ?? 0);
      mostBytes = Math.max(mostBytes, probeApp.server.flowStatus().inFlightBytes);
    }, 5);
    try {
      for (let n = 0; n < COUNT; n++) {
        broker.publish(probeApp.exchange, 'work.item', body(n), { contentType: 'application/json' });
      }
      await waitFor('every item handled', () => work.done.length === COUNT, { timeoutMs: 30_000 });
    } finally {
      clearInterval(sampler);
    }
    expect([...work.done].sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, n) => n));
    // The limit held and was reached.
    expect(work.mostRunning).toBe(CONCURRENCY);
    expect(mostReportedRunning).toBeLessThanOrEqual(CONCURRENCY);
    // Prefetch is separate: more were delivered (waiting for a slot) than were running.
    expect(mostInFlight).toBeGreaterThan(CONCURRENCY);
    expect(mostInFlight).toBeLessThanOrEqual(PREFETCH);
    // Those waiting deliveries hold their bytes in the process-wide budget.
    expect(mostBytes).toBeGreaterThanOrEqual((CONCURRENCY + 1) * body(0).length);
  }, 60_000);
});
