import amqp from 'amqplib';
import { SHARED_AMQP_URL } from './broker.js';

/** What a raw publish may carry: string headers of any total size, and a few properties. */
export interface RawPublish {
  exchange: string;
  routingKey: string;
  body: Buffer;
  headers: Record<string, string>;
  contentType?: string;
  messageId?: string;
}

const FRAME_METHOD = 1;
const FRAME_HEADER = 2;
const FRAME_BODY = 3;
const FRAME_END = 0xce;
const BASIC_CLASS = 60;
const BASIC_PUBLISH = 40;
/** RabbitMQ's default frame_max (and amqplib's): a content header frame must fit in one frame. */
const FRAME_MAX = 131_072;

/**
 * Publishes the way another client can but amqplib cannot: amqplib encodes a header table into a
 * 64 KiB buffer, RabbitMQ accepts tables up to its frame size. The frames are written by hand on
 * a channel amqplib opened; a passive declare afterwards on the same channel is answered only
 * once the broker has processed the publish (a channel's frames are handled in order).
 */
export async function publishWithRawFrames(message: RawPublish, checkQueue: string): Promise<void> {
  const model = await amqp.connect(SHARED_AMQP_URL, { clientProperties: { connection_name: 'warren-test-raw-publisher' } });
  model.on('error', () => undefined);
  try {
    const channel = await model.createChannel();
    const number = (channel as unknown as { ch: number }).ch;
    const stream = (model.connection as unknown as { stream: { write(buffer: Buffer): boolean } }).stream;
    const frames = [
      frame(FRAME_METHOD, number, methodPayload(message)),
      frame(FRAME_HEADER, number, headerPayload(message)),
      ...bodyChunks(message.body).map((chunk) => frame(FRAME_BODY, number, chunk)),
    ];
    // One write: nothing amqplib sends can land between our frames.
    stream.write(Buffer.concat(frames));
    await channel.checkQueue(checkQueue);
    await channel.close();
  } finally {
    await model.close().catch(() => undefined);
  }
}

function frame(type: number, channel: number, payload: Buffer): Buffer {
  if (payload.length + 8 > FRAME_MAX) {
    throw new Error(`a frame of ${payload.length} bytes does not fit frame_max ${FRAME_MAX}`);
  }
  const head = Buffer.alloc(7);
  head.writeUInt8(type, 0);
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, Buffer.from([FRAME_END])]);
}

function methodPayload({ exchange, routingKey }: RawPublish): Buffer {
  const ids = Buffer.alloc(6);
  ids.writeUInt16BE(BASIC_CLASS, 0);
  ids.writeUInt16BE(BASIC_PUBLISH, 2);
  ids.writeUInt16BE(0, 4); // reserved (ticket)
  return Buffer.concat([ids, shortString(exchange), shortString(routingKey), Buffer.from([0])]); // no mandatory/immediate
}

function headerPayload(message: RawPublish): Buffer {
  const fixed = Buffer.alloc(14);
  fixed.writeUInt16BE(BASIC_CLASS, 0);
  fixed.writeUInt16BE(0, 2); // weight
  fixed.writeBigUInt64BE(BigInt(message.body.length), 4);
  // Property flags, in the spec's order: content-type 15, headers 13, delivery-mode 12, message-id 7.
  let flags = (1 << 13) | (1 << 12);
  const properties: Buffer[] = [];
  if (message.contentType !== undefined) {
    flags |= 1 << 15;
    properties.push(shortString(message.contentType));
  }
  properties.push(table(message.headers), Buffer.from([2])); // persistent
  if (message.messageId !== undefined) {
    flags |= 1 << 7;
    properties.push(shortString(message.messageId));
  }
  fixed.writeUInt16BE(flags, 12);
  return Buffer.concat([fixed, ...properties]);
}

function table(headers: Record<string, string>): Buffer {
  const entries = Object.entries(headers).map(([key, value]) => {
    const text = Buffer.from(value, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(text.length, 0);
    return Buffer.concat([shortString(key), Buffer.from('S'), length, text]);
  });
  const body = Buffer.concat(entries);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

function shortString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

function bodyChunks(body: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += FRAME_MAX - 8) {
    chunks.push(body.subarray(offset, offset + FRAME_MAX - 8));
  }
  return chunks;
}
