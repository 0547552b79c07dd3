import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import amqp, { type ChannelModel } from 'amqplib';
import { DeadLetterQueueNotFoundError } from '../src/rabbitmq/errors/dead-letter.errors.js';
import { DeadLetterAdmin } from '../src/rabbitmq/dlq/dead-letter-admin.js';
import { HandleEvent, type QueueType, RabbitContext, Retry } from '../src/rabbitmq/index.js';
import { deadLetterQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe, SHARED_AMQP_URL } from './support/broker.js';
import { DLQ_CLI, runDlqCli } from './support/dlq-cli.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

const IDS = ['r-1', 'r-2', 'r-3', 'r-4', 'r-5'];

class DownstreamUnavailableError extends Error {
  override readonly name = 'DownstreamUnavailableError';
}

interface Delivery {
  messageId?: string;
  succeeded: boolean;
  retryCount: number;
  headers: Record<string, unknown>;
}

/** What the handler saw; `failing` is the switch the test flips to "heal" the downstream. */
@Injectable()
class Ledger {
  failing = true;
  readonly deliveries: Delivery[] = [];

  succeeded(): Delivery[] {
    return this.deliveries.filter((d) => d.succeeded);
  }
}

@Controller()
class ReplayHandlers {
  constructor(private readonly ledger: Ledger) {}

  /** No retries: a failure parks the message at once, so the test needs no delay queues. */
  @HandleEvent('dlq.replay')
  @Retry({ attempts: 0, delaysMs: [] })
  onReplay(@Payload() _data: unknown, @Ctx() context: RabbitContext): void {
    const failing = this.ledger.failing;
    this.ledger.deliveries.push({
      messageId: context.getMessageId(),
      succeeded: !failing,
      retryCount: context.getRetryCount(),
      headers: { ...(context.getMessage().properties.headers ?? {}) },
    });
    if (failing) {
      throw new DownstreamUnavailableError('inventory service unavailable');
    }
  }
}

describe.each<[QueueType]>([['quorum'], ['classic']])('DLQ replay round trip on the real broker (%s queues)', (queueType) => {
  let probeApp: ProbeApp;
  let probe: BrokerProbe;
  let connection: ChannelModel;
  let admin: DeadLetterAdmin;
  let ledger: Ledger;
  let queue: string;
  let dlq: string;
  let cliEnv: Record<string, string>;

  beforeAll(async () => {
    probeApp = await startProbeApp(`dlq-${queueType}`, [ReplayHandlers], { consume: { queueType: queueType, killSwitch: { enabled: false } } }, [
      Ledger,
    ]);
    ledger = probeApp.app.get(Ledger);
    [queue] = probeApp.server.queues();
    dlq = deadLetterQueueName(queue);
    probe = await BrokerProbe.open();
    connection = await amqp.connect(SHARED_AMQP_URL, { clientProperties: { connection_name: 'warren-test-dlq-admin' } });
    admin = new DeadLetterAdmin(connection);
    cliEnv = { AMQP_URL: SHARED_AMQP_URL, SERVICE_NAME: probeApp.serviceName, EVENTS_EXCHANGE: probeApp.exchange };
  });

  afterAll(async () => {
    await connection?.close().catch(() => undefined);
    await probe?.close();
    await probeApp?.dispose();
  });

  it('parks 5 failing messages; depth reports 5 by handler queue or DLQ name', async () => {
    for (const id of IDS) {
      probe.publish(probeApp.exchange, 'dlq.replay', JSON.stringify({ id }), { contentType: 'application/json', messageId: id });
    }
    await waitFor('5 messages parked', async () => (await probe.ready(dlq)) === 5, { timeoutMs: 10_000 });
    expect(await admin.depth(queue)).toEqual({ queue, dlq, messages: 5 });
    expect(await admin.depth(dlq)).toEqual({ queue, dlq, messages: 5 });
    expect(ledger.deliveries.map((d) => d.messageId).sort()).toEqual(IDS);
  });

  it('peek(3) shows 3 messages with their reason headers and removes nothing', async () => {
    const first = await admin.peek(queue, 3);
    expect(first).toMatchObject({ queue, dlq, depth: 5 });
    expect(first.messages).toHaveLength(3);
    for (const message of first.messages) {
      expect(IDS).toContain(message.messageId);
      expect(message).toMatchObject({
        errorType: 'DownstreamUnavailableError',
        errorMessage: 'inventory service unavailable',
        failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        retryCount: 0,
        handler: 'replay.replay',
        originalRoutingKey: 'dlq.replay',
        body: JSON.stringify({ id: message.messageId }),
        bodyTruncated: false,
      });
    }
    await waitFor('the peeked messages back in the DLQ', async () => (await probe.ready(dlq)) === 5);
    // Peeking again sees the same head of the queue, in the same order.
    const second = await admin.peek(queue, 3);
    expect(second.messages.map((m) => m.messageId)).toEqual(first.messages.map((m) => m.messageId));
    await waitFor('the peeked messages back in the DLQ', async () => (await probe.ready(dlq)) === 5);
    expect(ledger.deliveries).toHaveLength(5); // peeking never reached the handler
  });

  it('names a missing DLQ with DeadLetterQueueNotFoundError and keeps working', async () => {
    await expect(admin.depth(`${queue}-missing`)).rejects.toBeInstanceOf(DeadLetterQueueNotFoundError);
    expect((await admin.depth(queue)).messages).toBe(5);
  });

  it('CLI: peek prints every messageId with its reason; purge without --yes exits 2 and keeps them; list shows the depth', async () => {
    expect(existsSync(DLQ_CLI)).toBe(true); // if not: run `npm run build` before the e2e tests
    const peek = await runDlqCli(['peek', queue], cliEnv);
    expect(peek.code).toBe(0);
    for (const id of IDS) {
      expect(peek.stdout).toContain(`messageId: ${id}`);
    }
    expect(peek.stdout).toContain('x-error-type: DownstreamUnavailableError');
    expect(peek.stdout).toContain('x-original-routing-key: dlq.replay');

    // --force: the probe app's queue is not one of the demo service's handlers, which the CLI knows.
    const purge = await runDlqCli(['purge', queue, '--force'], cliEnv);
    expect(purge.code).toBe(2);
    expect(purge.stderr).toContain(`${dlq} holds 5 message(s)`);

    const list = await runDlqCli(['list', queue], cliEnv);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${escape(queue)}\\s+${escape(dlq)}\\s+5$`, 'm'));
    expect(list.stdout).toContain(`${probeApp.exchange} (unrouted)`);

    await waitFor('all 5 still parked after the CLI runs', async () => (await probe.ready(dlq)) === 5);
  });

  it('replays all 5 into the handler queue: each processed exactly once, DLQ and queue empty', async () => {
    ledger.failing = false;
    const result = await admin.replay(queue);
    expect(result).toEqual({ queue, dlq, replayed: 5, skipped: 0 });
    await waitFor('5 successful deliveries', () => ledger.succeeded().length >= 5, { timeoutMs: 10_000 });
    // A quiet period in which a duplicate from the replay would show up.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      ledger
        .succeeded()
        .map((d) => d.messageId)
        .sort(),
    ).toEqual(IDS);
    expect(ledger.deliveries).toHaveLength(10); // 5 failures before, 5 successes after: nothing more
    for (const delivery of ledger.succeeded()) {
      expect(delivery.retryCount).toBe(0);
      expect(delivery.headers).toMatchObject({
        'x-retry-count': 0,
        'x-last-error-type': 'DownstreamUnavailableError',
        'x-replayed-at': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        'x-original-routing-key': 'dlq.replay',
      });
      expect(delivery.headers).not.toHaveProperty('x-error-type');
      expect(delivery.headers).not.toHaveProperty('x-error-message');
      expect(delivery.headers).not.toHaveProperty('x-failed-at');
    }
    expect(await probe.ready(dlq)).toBe(0);
    expect(await probe.ready(queue)).toBe(0);
    expect(await admin.replay(queue)).toEqual({ queue, dlq, replayed: 0, skipped: 0 });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
