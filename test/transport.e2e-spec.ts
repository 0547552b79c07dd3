import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Injectable } from '@nestjs/common';
import { ClientProxyFactory, Ctx, Payload, Transport } from '@nestjs/microservices';
import { lastValueFrom, Observable } from 'rxjs';
import { HandleEvent, RabbitClient, RabbitContext } from '../src/rabbitmq/index.js';
import { deadLetterQueueName, unroutedQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe, SHARED_AMQP_URL } from './support/broker.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

interface Seen {
  handler: string;
  payload: unknown;
  messageId?: string;
  pattern: string;
}

/** Records every call and lets each test decide what a handler does. */
@Injectable()
class Recorder {
  readonly seen: Seen[] = [];
  behaviour: (handler: string, payload: unknown) => unknown = () => undefined;

  call(handler: string, payload: unknown, context: RabbitContext): unknown {
    this.seen.push({ handler, payload, messageId: context.getMessageId(), pattern: context.getPattern() });
    return this.behaviour(handler, payload);
  }

  count(handler: string): number {
    return this.seen.filter((s) => s.handler === handler).length;
  }
}

class PaymentDeclinedError extends Error {
  override name = 'PaymentDeclinedError';
}

@Controller()
class ProbeHandlers {
  constructor(private readonly recorder: Recorder) {}

  @HandleEvent('probe.created')
  onCreated(@Payload() payload: unknown, @Ctx() context: RabbitContext): unknown {
    return this.recorder.call('created', payload, context);
  }

  @HandleEvent('probe.created', { queue: 'second' })
  onCreatedAudit(@Payload() payload: unknown, @Ctx() context: RabbitContext): unknown {
    return this.recorder.call('audit', payload, context);
  }

  @HandleEvent('probe.wild.#')
  onWild(@Payload() payload: unknown, @Ctx() context: RabbitContext): Observable<number> {
    return new Observable((subscriber) => {
      const result = this.recorder.call('wild', payload, context);
      Promise.resolve(result).then(
        () => {
          subscriber.next(1);
          subscriber.complete();
        },
        (error: unknown) => subscriber.error(error),
      );
    });
  }
}

describe('RabbitServer + RabbitClient on the real broker', () => {
  let probeApp: ProbeApp;
  let broker: BrokerProbe;
  let recorder: Recorder;
  let queue: (handler: string) => string;

  beforeAll(async () => {
    // Classic queues here: rabbitmqctl reports their unacked count live, while quorum queue
    // counters lag ~5 s, and these tests assert the unacked state while a handler runs.
    // No retries here: these tests are about settlement; retries have their own spec.
    probeApp = await startProbeApp('transport', [ProbeHandlers], { consume: { queueType: 'classic', retry: { attempts: 0, delaysMs: [] } } }, [
      Recorder,
    ]);
    recorder = probeApp.app.get(Recorder);
    broker = await BrokerProbe.open();
    const queues = probeApp.server.queues();
    queue = (handler) => {
      const name = queues.find((q) => q.endsWith(handler));
      if (!name) throw new Error(`no queue for ${handler} in ${queues.join(', ')}`);
      return name;
    };
  });

  afterEach(() => {
    recorder.behaviour = () => undefined;
    recorder.seen.length = 0;
  });

  afterAll(async () => {
    await broker?.close();
    await probeApp?.dispose();
  });

  it('names queues <service>.<handler> and gives each handler of one event its own queue', () => {
    expect(probeApp.server.queues().sort()).toEqual([`${probeApp.serviceName}.probe.created`, `${probeApp.serviceName}.probe.wild`, 'second'].sort());
  });

  it('delivers plain JSON from another AMQP client (no Nest) to every handler bound by the routing key', async () => {
    broker.publish(probeApp.exchange, 'probe.created', JSON.stringify({ n: 1 }), { messageId: 'm-plain' });
    await waitFor('both handlers', () => recorder.count('created') === 1 && recorder.count('audit') === 1);
    expect(recorder.seen.find((s) => s.handler === 'created')).toMatchObject({ payload: { n: 1 }, messageId: 'm-plain' });
  });

  it('routes topic wildcards and settles an Observable-returning handler', async () => {
    broker.publish(probeApp.exchange, 'probe.wild.a.b', JSON.stringify({ deep: true }));
    await waitFor('the wildcard handler', () => recorder.count('wild') === 1);
    expect(recorder.seen[0]).toMatchObject({ payload: { deep: true }, pattern: 'probe.wild.a.b' });
    await waitFor('the wildcard queue to be acked', async () => {
      const depth = await broker.depth(queue('probe.wild'));
      return depth.ready === 0 && depth.unacked === 0;
    });
  });

  it("accepts the {pattern, data} body of Nest's built-in RMQ client", async () => {
    const nestClient = ClientProxyFactory.create({
      transport: Transport.RMQ,
      options: { urls: [SHARED_AMQP_URL], queue: 'second', noAssert: true, persistent: true },
    });
    try {
      await lastValueFrom(nestClient.emit('probe.created', { from: 'nest' }));
    } finally {
      await nestClient.close();
    }
    await waitFor('the audit handler to get the Nest message', () => recorder.count('audit') === 1);
    expect(recorder.seen.find((s) => s.handler === 'audit')).toMatchObject({ payload: { from: 'nest' }, pattern: 'probe.created' });
  });

  it('acks only after the handler settles', async () => {
    let release!: () => void;
    recorder.behaviour = (handler) => (handler === 'created' ? new Promise<void>((resolve) => (release = resolve)) : undefined);
    broker.publish(probeApp.exchange, 'probe.created', JSON.stringify({ slow: true }));
    await waitFor('the slow handler to start', () => recorder.count('created') === 1);
    // While the handler runs, the message is delivered but unacked.
    expect(await broker.depth(queue('probe.created'))).toEqual({ ready: 0, unacked: 1 });
    release();
    await waitFor('the ack after the handler resolved', async () => {
      const depth = await broker.depth(queue('probe.created'));
      return depth.unacked === 0 && depth.ready === 0;
    });
  });

  it('publishes with RabbitClient.emit and completes only with the confirm receipt', async () => {
    const client = probeApp.app.get(RabbitClient);
    const receipt = await lastValueFrom(client.emit('probe.created', { via: 'emit' }));
    expect(receipt).toMatchObject({ messageId: expect.any(String), pattern: 'probe.created' });
    await waitFor('the handler', () => recorder.seen.find((s) => s.messageId === receipt.messageId));
  });

  it('dead-letters the message of a throwing handler with reason headers, once, and keeps consuming', async () => {
    recorder.behaviour = (handler) => {
      if (handler === 'created') throw new PaymentDeclinedError('card 4242 declined');
    };
    broker.publish(probeApp.exchange, 'probe.created', JSON.stringify({ pay: 1 }), {
      messageId: 'm-fail',
      correlationId: 'corr-1',
      headers: { tenant: 'acme' },
    });
    const dlq = deadLetterQueueName(queue('probe.created'));
    const parked = await waitFor('the dead-lettered copy', () => broker.take(dlq));
    expect(JSON.parse(parked.content.toString())).toEqual({ pay: 1 });
    expect(parked.properties.messageId).toBe('m-fail');
    expect(parked.properties.correlationId).toBe('corr-1');
    expect(parked.properties.headers).toMatchObject({
      tenant: 'acme',
      'x-error-type': 'PaymentDeclinedError',
      'x-error-message': 'card 4242 declined',
      'x-failed-at': expect.any(String),
      'x-retry-count': 0,
      'x-original-routing-key': 'probe.created',
      'x-handler': 'probe.created',
    });
    // Not requeued in a loop: the handler saw it exactly once, the queue is empty and acked.
    expect(recorder.count('created')).toBe(1);
    expect(await broker.depth(queue('probe.created'))).toEqual({ ready: 0, unacked: 0 });
    // The healthy handler of the same event was not affected.
    await waitFor('the audit handler', () => recorder.count('audit') === 1);
    // The process survives and keeps consuming.
    recorder.behaviour = () => undefined;
    broker.publish(probeApp.exchange, 'probe.created', JSON.stringify({ after: true }));
    await waitFor('the next message', () => recorder.seen.some((s) => (s.payload as { after?: boolean }).after));
  });

  it('dead-letters a message its queue has no handler for, without calling any handler', async () => {
    // Published straight into the queue (default exchange) with a key no handler of it matches.
    broker.publish('', queue('probe.created'), JSON.stringify({ stray: true }), { messageId: 'm-stray' });
    const parked = await waitFor('the stray message in the DLQ', () => broker.take(deadLetterQueueName(queue('probe.created'))));
    expect(parked.properties.headers).toMatchObject({ 'x-error-type': 'NoHandlerError' });
    expect(recorder.count('created')).toBe(0);
  });

  it('dead-letters an undecodable body instead of crashing', async () => {
    broker.publish(probeApp.exchange, 'probe.created', '{not json', { contentType: 'application/json' });
    const parked = await waitFor('the undecodable message', () => broker.take(deadLetterQueueName(queue('probe.created'))));
    expect(parked.content.toString()).toBe('{not json');
    expect(parked.properties.headers).toMatchObject({ 'x-error-type': 'DecodeError' });
    expect(recorder.count('created')).toBe(0);
  });

  it('keeps a copy of an event it published that no queue is bound for in the unrouted queue', async () => {
    const receipt = await probeApp.app.get(RabbitClient).publish('nobody.listens', { lost: false });
    const parked = await waitFor('the unroutable event', () => broker.take(unroutedQueueName(probeApp.exchange)));
    expect(parked.properties.messageId).toBe(receipt.messageId);
    expect(parked.properties.headers).toMatchObject({ 'x-original-routing-key': 'nobody.listens' });
  });
});
