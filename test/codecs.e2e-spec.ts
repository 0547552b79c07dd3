import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, deflateSync, gzipSync, inflateSync, gunzipSync } from 'node:zlib';
import { Controller, Injectable } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { GetMessage } from 'amqplib';
import { pack } from 'msgpackr';
import { MessageTooLargeError, HandleEvent, type PublishOptions, RabbitClient, RabbitContext } from '../src/rabbitmq/index.js';
import { deadLetterQueueName } from '../src/rabbitmq/admin.js';
import { MsgpackCodec } from '../src/rabbitmq/codec/msgpack.codec.js';
import { BrokerProbe } from './support/broker.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

const PATTERN = 'codec.received';
const THRESHOLD = 4 * 1024;
const MAX_MESSAGE_BYTES = 1024 * 1024;

interface Seen {
  payload: unknown;
  messageId?: string;
  contentType?: string;
  contentEncoding?: string;
  wireBytes: number;
}

@Injectable()
class Recorder {
  readonly seen: Seen[] = [];

  find(messageId: string): Seen | undefined {
    return this.seen.find((s) => s.messageId === messageId);
  }
}

@Controller()
class CodecHandlers {
  constructor(private readonly recorder: Recorder) {}

  @HandleEvent(PATTERN)
  onReceived(@Payload() payload: unknown, @Ctx() context: RabbitContext): void {
    const { properties, content } = context.getMessage();
    this.recorder.seen.push({
      payload,
      messageId: properties.messageId,
      contentType: properties.contentType,
      contentEncoding: properties.contentEncoding,
      wireBytes: content.length,
    });
  }
}

/** Nested objects and arrays, unicode in keys and values, numbers of every MessagePack width. */
function samplePayload(): Record<string, unknown> {
  return {
    orderId: randomUUID(),
    customer: { name: 'Zoë Ångström', city: '東京', note: 'naïve café 🐇🥕', ключ: 'значение' },
    items: [
      { sku: 'A-1', quantity: 2, price: 19.99, tags: ['gift', 'express'] },
      { sku: 'B-2', quantity: 1, price: -0.5, tags: [], dimensions: { w: 10, h: [1, [2, [3]]] } },
    ],
    counts: [0, 1, 127, 128, 255, 65_535, 65_536, 2 ** 32, 2 ** 53 - 1, -1, -129, -(2 ** 31)],
    flags: { paid: true, shipped: false, cancelled: null },
    empty: { list: [], object: {}, text: '' },
  };
}

/** A payload of about `bytes` bytes of JSON that compresses well, like a real batch event. */
function largePayload(bytes: number): Record<string, unknown> {
  const lines: { sku: string; title: string; quantity: number }[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = { sku: `SKU-${1000 + i}`, title: `Article n° ${i} — “quoted” ✓`, quantity: (i % 7) + 1 };
    lines.push(line);
    size += JSON.stringify(line).length + 1;
  }
  return { batchId: randomUUID(), lines };
}

/** `megabytes` MiB of zeros gzipped, streamed so the test never holds the inflated bytes. */
async function gzipBomb(megabytes: number): Promise<Buffer> {
  const zeros = Buffer.alloc(1024 * 1024);
  const chunks: Buffer[] = [];
  await pipeline(
    Readable.from(
      (function* () {
        for (let i = 0; i < megabytes; i++) yield zeros;
      })(),
    ),
    createGzip({ level: 9 }),
    async (compressed: AsyncIterable<Buffer>) => {
      for await (const chunk of compressed) chunks.push(chunk);
    },
  );
  return Buffer.concat(chunks);
}

describe('codecs and compression on the real broker', () => {
  let jsonApp: ProbeApp;
  let msgpackApp: ProbeApp;
  let broker: BrokerProbe;

  const recorderOf = (app: ProbeApp): Recorder => app.app.get(Recorder);
  const queueOf = (app: ProbeApp): string => app.server.queues()[0];

  beforeAll(async () => {
    // No retries: a decode failure must go to the DLQ at once anyway; this keeps others quick too.
    const consume = { retry: { attempts: 0, delaysMs: [] } };
    const encoding = { compressThresholdBytes: THRESHOLD, maxMessageBytes: MAX_MESSAGE_BYTES };
    jsonApp = await startProbeApp('codec-json', [CodecHandlers], { consume, encoding }, [Recorder]);
    msgpackApp = await startProbeApp(
      'codec-msgpack',
      [CodecHandlers],
      { consume, encoding: { ...encoding, codec: 'msgpack', compression: 'deflate' } },
      [Recorder],
    );
    broker = await BrokerProbe.open();
  });

  afterEach(() => {
    recorderOf(jsonApp).seen.length = 0;
    recorderOf(msgpackApp).seen.length = 0;
  });

  afterAll(async () => {
    await broker?.close();
    await jsonApp?.dispose();
    await msgpackApp?.dispose();
  });

  /** Publishes through the app's RabbitClient and returns what its handler received. */
  async function roundTrip(app: ProbeApp, payload: unknown, options: PublishOptions = {}): Promise<Seen> {
    const receipt = await app.app.get(RabbitClient).publish(PATTERN, payload, options);
    return waitFor('the handler to receive the message', () => recorderOf(app).find(receipt.messageId));
  }

  describe('round trips through a handler', () => {
    it('JSON (the default): payload deep-equal, content-type application/json, not compressed', async () => {
      const payload = samplePayload();
      const seen = await roundTrip(jsonApp, payload);
      expect(seen.payload).toEqual(payload);
      expect(seen.contentType).toBe('application/json');
      expect(seen.contentEncoding).toBeUndefined();
    });

    it("MessagePack as the module's codec: payload deep-equal, content-type application/msgpack", async () => {
      const payload = samplePayload();
      const seen = await roundTrip(msgpackApp, payload);
      expect(seen.payload).toEqual(payload);
      expect(seen.contentType).toBe('application/msgpack');
      expect(seen.contentEncoding).toBeUndefined();
      expect(seen.wireBytes).toBeLessThan(Buffer.byteLength(JSON.stringify(payload)));
    });

    it('a per-publish codec overrides the module codec, both ways', async () => {
      const payload = samplePayload();
      const asMsgpack = await roundTrip(jsonApp, payload, { codec: 'msgpack' });
      expect(asMsgpack).toMatchObject({ payload, contentType: 'application/msgpack' });
      const asJson = await roundTrip(msgpackApp, payload, { codec: 'json' });
      expect(asJson).toMatchObject({ payload, contentType: 'application/json' });
    });

    it.each(['gzip', 'deflate'] as const)(
      'a body above the threshold compressed with %s arrives intact and carries content-encoding',
      async (compression) => {
        const payload = largePayload(200 * 1024);
        const jsonBytes = Buffer.byteLength(JSON.stringify(payload));
        const seen = await roundTrip(jsonApp, payload, { compression });
        expect(seen.payload).toEqual(payload);
        expect(seen.contentType).toBe('application/json');
        expect(seen.contentEncoding).toBe(compression);
        expect(seen.wireBytes).toBeLessThan(jsonBytes / 4);
      },
    );

    it('compresses with the module setting: gzip by default, deflate where configured (MessagePack too)', async () => {
      const payload = largePayload(50 * 1024);
      expect(await roundTrip(jsonApp, payload)).toMatchObject({ payload, contentEncoding: 'gzip', contentType: 'application/json' });
      expect(await roundTrip(msgpackApp, payload)).toMatchObject({ payload, contentEncoding: 'deflate', contentType: 'application/msgpack' });
    });

    it('leaves a body below the threshold uncompressed', async () => {
      const payload = largePayload(THRESHOLD / 2);
      expect(await roundTrip(jsonApp, payload)).toMatchObject({ payload, contentEncoding: undefined });
    });

    it('refuses to publish a body over maxMessageBytes before compressing it, even if it would compress below it', async () => {
      const payload = largePayload(MAX_MESSAGE_BYTES + 1024);
      const error = await jsonApp.app
        .get(RabbitClient)
        .publish(PATTERN, payload)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(MessageTooLargeError);
    });
  });

  describe('messages from other AMQP clients', () => {
    it.each(['application/msgpack', 'application/x-msgpack'])(
      'delivers MessagePack from a raw amqplib client (content-type %s)',
      async (contentType) => {
        const payload = samplePayload();
        const messageId = randomUUID();
        broker.publish(jsonApp.exchange, PATTERN, pack(payload), { contentType, messageId, persistent: true });
        const seen = await waitFor('the handler', () => recorderOf(jsonApp).find(messageId));
        expect(seen.payload).toEqual(payload);
      },
    );

    it('delivers gzipped MessagePack and deflated JSON from a raw client', async () => {
      const payload = samplePayload();
      const gzipped = randomUUID();
      const deflated = randomUUID();
      broker.publish(jsonApp.exchange, PATTERN, gzipSync(new MsgpackCodec().encode(payload)), {
        contentType: 'application/msgpack',
        contentEncoding: 'gzip',
        messageId: gzipped,
      });
      broker.publish(jsonApp.exchange, PATTERN, deflateSync(JSON.stringify(payload)), { contentEncoding: 'deflate', messageId: deflated });
      await waitFor('both messages', () => recorderOf(jsonApp).find(gzipped) && recorderOf(jsonApp).find(deflated));
      expect(recorderOf(jsonApp).find(gzipped)?.payload).toEqual(payload);
      expect(recorderOf(jsonApp).find(deflated)?.payload).toEqual(payload);
    });
  });

  describe('what cannot be decoded is dead-lettered, never handled, never a crash', () => {
    const validMsgpack = pack(samplePayload());
    it.each([
      ['an unknown content-type', Buffer.from('<order id="1"/>'), { contentType: 'application/xml' }, "unsupported content-type 'application/xml'"],
      ['an unknown content-encoding', Buffer.from('{"a":1}'), { contentEncoding: 'br' }, "unsupported content-encoding 'br'"],
      [
        'a corrupt gzip body',
        Buffer.concat([gzipSync('{"a":1}').subarray(0, 10), Buffer.from('garbage')]),
        { contentEncoding: 'gzip' },
        'not valid gzip',
      ],
      [
        'a corrupt MessagePack body',
        validMsgpack.subarray(0, validMsgpack.length - 7),
        { contentType: 'application/msgpack' },
        'not valid application/msgpack',
      ],
    ])('%s reaches <queue>.dlq with x-error-type DecodeError', async (_case, body, properties, reason) => {
      const messageId = randomUUID();
      const dlq = deadLetterQueueName(queueOf(jsonApp));
      broker.publish(jsonApp.exchange, PATTERN, body, { ...properties, messageId, persistent: true });
      // A deadline, not a speed claim (that is the bench's): a 1 s bound here is a flake on a loaded machine.
      const parked = await waitFor(`the message in ${dlq}`, () => broker.take(dlq), { timeoutMs: 10_000, intervalMs: 10 });
      expect(parked.properties.messageId).toBe(messageId);
      expect(parked.properties.headers).toMatchObject({
        'x-error-type': 'DecodeError',
        'x-original-routing-key': PATTERN,
        'x-retry-count': 0,
      });
      expect(String(parked.properties.headers?.['x-error-message'])).toContain(reason);
      // Parked as it came: same bytes and the properties that say how to read them.
      expect(parked.content.equals(body)).toBe(true);
      expect(parked.properties).toMatchObject(properties);
      expect(recorderOf(jsonApp).find(messageId)).toBeUndefined();
      // Still consuming.
      const after = await roundTrip(jsonApp, { after: messageId });
      expect(after.payload).toEqual({ after: messageId });
    });

    it('a gzip bomb (50 MiB of zeros) is dead-lettered as MessageTooLargeError without inflating it in memory', async () => {
      const bomb = await gzipBomb(50);
      expect(bomb.length).toBeLessThan(MAX_MESSAGE_BYTES);
      const messageId = randomUUID();
      const dlq = deadLetterQueueName(queueOf(jsonApp));

      const before = process.memoryUsage();
      let peak = before.rss;
      let peakBuffers = before.arrayBuffers;
      const sampler = setInterval(() => {
        const now = process.memoryUsage();
        peak = Math.max(peak, now.rss);
        peakBuffers = Math.max(peakBuffers, now.arrayBuffers);
      }, 2);
      let parked: GetMessage;
      try {
        broker.publish(jsonApp.exchange, PATTERN, bomb, { contentType: 'application/json', contentEncoding: 'gzip', messageId, persistent: true });
        parked = await waitFor(`the bomb in ${dlq}`, () => broker.take(dlq), { timeoutMs: 5_000, intervalMs: 10 });
      } finally {
        clearInterval(sampler);
      }
      const after = process.memoryUsage().rss;
      peak = Math.max(peak, after);
      // The control: the same bomb inflated without a bound, in this process, as a naive consumer would.
      const unbounded = gunzipSync(bomb);
      const control = process.memoryUsage();
      const controlRss = control.rss;
      expect(unbounded.length).toBe(50 * 1024 * 1024);
      const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
      // eslint-disable-next-line no-console -- a report the test prints on purpose
      console.log(
        `gzip bomb: ${(bomb.length / 1024).toFixed(1)} KiB on the wire, 50 MiB inflated. Dead-lettered by warren: ` +
          `RSS before ${mib(before.rss)}, peak ${mib(peak)} (+${mib(peak - before.rss)}), after ${mib(after)}; ` +
          `Buffer memory peak +${mib(peakBuffers - before.arrayBuffers)}. ` +
          `Control, inflated unbounded with gunzipSync: RSS ${mib(controlRss)} (+${mib(controlRss - before.rss)}), ` +
          `Buffer memory +${mib(control.arrayBuffers - before.arrayBuffers)}`,
      );

      expect(parked.properties.messageId).toBe(messageId);
      expect(parked.properties.headers).toMatchObject({ 'x-error-type': 'MessageTooLargeError' });
      expect(String(parked.properties.headers?.['x-error-message'])).toContain(`more than the limit of ${MAX_MESSAGE_BYTES} bytes`);
      expect(parked.content.equals(bomb)).toBe(true);
      expect(recorderOf(jsonApp).find(messageId)).toBeUndefined();
      // Inflating it all would take 50 MiB (more with the JSON parse); bounded, it is ~1 MiB.
      expect(peak - before.rss).toBeLessThan(20 * 1024 * 1024);
      expect(peakBuffers - before.arrayBuffers).toBeLessThan(8 * 1024 * 1024);
      // ...and the measurement would have seen it: the unbounded control holds 50 MiB more Buffer
      // memory. (Not RSS: in a long jest run the process may return as much to the OS meanwhile.)
      expect(control.arrayBuffers - before.arrayBuffers).toBeGreaterThan(40 * 1024 * 1024);
      const next = await roundTrip(jsonApp, { afterBomb: true });
      expect(next.payload).toEqual({ afterBomb: true });
    });
  });

  it('the bytes a compressed publish puts on the wire are what a plain zlib reads back', async () => {
    // What a Go or Python consumer of our events would do with content-encoding.
    const payload = largePayload(20 * 1024);
    const rawQueue = `${jsonApp.serviceName}.raw-tap`;
    await broker.channel.assertQueue(rawQueue, { exclusive: true });
    await broker.channel.bindQueue(rawQueue, jsonApp.exchange, PATTERN);
    try {
      await jsonApp.app.get(RabbitClient).publish(PATTERN, payload, { compression: 'gzip' });
      await jsonApp.app.get(RabbitClient).publish(PATTERN, payload, { compression: 'deflate' });
      const first = await waitFor('the gzip copy', () => broker.take(rawQueue));
      const second = await waitFor('the deflate copy', () => broker.take(rawQueue));
      expect(first.properties.contentEncoding).toBe('gzip');
      expect(JSON.parse(gunzipSync(first.content).toString('utf8'))).toEqual(payload);
      expect(second.properties.contentEncoding).toBe('deflate');
      expect(JSON.parse(inflateSync(second.content).toString('utf8'))).toEqual(payload);
    } finally {
      await broker.channel.deleteQueue(rawQueue).catch(() => undefined);
    }
  });
});
