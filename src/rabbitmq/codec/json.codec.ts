import { JSON_CONTENT_TYPE } from '../rabbitmq.constants.js';
import type { MessageCodec } from './message-codec.interface.js';

/** The default codec: what any AMQP client (Go, Python, the CLI) can produce and read. */
export class JsonCodec implements MessageCodec {
  readonly contentType = JSON_CONTENT_TYPE;

  encode(payload: unknown): Buffer {
    return Buffer.from(JSON.stringify(payload) ?? 'null', 'utf8');
  }

  decode(body: Buffer): unknown {
    return JSON.parse(body.toString('utf8'));
  }
}
