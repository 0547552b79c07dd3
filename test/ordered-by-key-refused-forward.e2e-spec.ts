/**
 * Ordering per key when the broker refuses the router's forward into a partition. A policy bounds
 * this suite's partition queues (max-length 1, reject-publish), so a slow handler makes the broker
 * nack forwards while events keep arriving. Before: the router handed refused deliveries back
 * (nack, requeue), and RabbitMQ 3.10 puts a requeued message at the back of a quorum queue, behind
 * every event published since: a key's events ran out of order. Now a refused forward is retried in
 * place, unacked, and what came after it waits (the router's window is small and the backlog
 * published at once, so there is a queue for a requeued delivery to go behind). Runs on the shared broker: the policy matches only
 * this suite's queues and is removed after.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Controller, Injectable, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { HandleEvent } from '../src/rabbitmq/index.js';
import { BrokerProbe } from './support/broker.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

const run = promisify(execFile);
const PREFIX = 'refused-forward';
const PATTERN = 'refused.keyed';
const EVENTS = 60;

interface Entry {
  key: string;
  seq: number;
}

@Injectable()
class Handled {
  readonly entries: Entry[] = [];
}

@Controller()
class SlowKeyedHandler {
  constructor(private readonly handled: Handled) {}

  // A router window of 5: the rest of the backlog waits in the handler queue, where a requeued
  // delivery would go behind it.
  @HandleEvent(PATTERN, { ordered: { by: (entry: Entry) => entry.key, partitions: 2 }, prefetch: 5 })
  async onEntry(@Payload() entry: Entry): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 30)); // slower than events arrive: the partition fills
    this.handled.entries.push(entry);
  }
}

describe('ordering per key when the broker refuses forwards into a partition (shared broker)', () => {
  const policy = `t-${PREFIX}-${randomUUID().slice(0, 8)}`;
  let app: ProbeApp;
  let broker: BrokerProbe;

  beforeAll(async () => {
    // Only this suite's partition queues: t-refused-forward-<id>.<handler queue>.p<i>.
    await run('rabbitmqctl', [
      'set_policy',
      '--apply-to',
      'queues',
      '--priority',
      '100',
      policy,
      `^t-${PREFIX}-[0-9a-f]{8}\\..*\\.p[0-9]+$`,
      JSON.stringify({ 'max-length': 1, overflow: 'reject-publish' }),
    ]);
    app = await startProbeApp(PREFIX, [SlowKeyedHandler], {}, [Handled]);
    broker = await BrokerProbe.open();
  });

  afterAll(async () => {
    await broker?.close();
    await app?.dispose();
    await run('rabbitmqctl', ['clear_policy', policy]);
  });

  it('keeps one key in publish order and handles each event once, while the broker nacks forwards', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      for (let seq = 1; seq <= EVENTS; seq++) {
        broker.publish(app.exchange, PATTERN, JSON.stringify({ key: 'k', seq }), { contentType: 'application/json', persistent: true });
      }
      const handled = app.app.get(Handled);
      await waitFor(`all ${EVENTS} events handled`, () => handled.entries.length >= EVENTS, { timeoutMs: 60_000, intervalMs: 50 });
      // The broker did refuse forwards (else this test proves nothing).
      expect(warn.mock.calls.some(([text]) => String(text).includes('to its partition failed'))).toBe(true);
      expect(handled.entries.map((entry) => entry.seq)).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
    } finally {
      warn.mockRestore();
    }
  }, 90_000);
});
