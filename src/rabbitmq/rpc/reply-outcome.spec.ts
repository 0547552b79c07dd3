import { describe, expect, it } from '@jest/globals';
import type { ConsumeMessage } from 'amqplib';
import { MessageDecoder } from '../codec/message-decoder.js';
import { RemoteHandlerError } from '../errors/request.errors.js';
import { resolveRabbitMQOptions } from '../options/resolve-options.js';
import { MAX_ERROR_MESSAGE_LENGTH, MAX_ERROR_TYPE_LENGTH } from '../rabbitmq.constants.js';
import { encodeReply } from '../wire/reply-packet.js';
import { replyOutcome } from './reply-outcome.js';

const decoder = MessageDecoder.forConsuming(
  resolveRabbitMQOptions({ urls: ['amqp://localhost'], serviceName: 'web', encoding: { maxMessageBytes: 64 * 1024 } }).encoding,
);

function reply(content: Buffer | string): Pick<ConsumeMessage, 'content' | 'properties'> {
  return { content: Buffer.isBuffer(content) ? content : Buffer.from(content), properties: { headers: {} } as ConsumeMessage['properties'] };
}

async function remoteError(content: Buffer | string): Promise<RemoteHandlerError> {
  const outcome = await replyOutcome('p', reply(content), decoder);
  if (!('error' in outcome)) {
    throw new Error(`expected a RemoteHandlerError, got ${JSON.stringify(outcome)}`);
  }
  return outcome.error;
}

describe('replyOutcome: a reply as its caller gets it, whoever sent it', () => {
  it('the value, or RemoteHandlerError with the remote type and message', async () => {
    expect(await replyOutcome('p', reply(encodeReply('req-1', { response: { n: 1 } })), decoder)).toEqual({ value: { n: 1 } });
    const failed = await remoteError(encodeReply('req-1', { err: { type: 'ValidationError', message: 'sku must be a string' } }));
    expect(failed).toBeInstanceOf(RemoteHandlerError);
    expect(failed).toMatchObject({ pattern: 'p', remoteType: 'ValidationError', remoteMessage: 'sku must be a string' });
  });

  it('a body that is not JSON, over maxMessageBytes or nested past maxJsonDepth is a MalformedReply, never a throw', async () => {
    expect(await remoteError('not json')).toMatchObject({ remoteType: 'MalformedReply' });
    expect(await remoteError(JSON.stringify({ err: 'x'.repeat(100_000) }))).toMatchObject({
      remoteType: 'MalformedReply',
      remoteMessage: expect.stringContaining('over the limit of 65536 bytes'),
    });
    const deep = `{"response":${'['.repeat(20_000)}${']'.repeat(20_000)}}`; // 40 KB: within the size bound
    expect(await remoteError(deep)).toMatchObject({ remoteType: 'MalformedReply', remoteMessage: expect.stringContaining('deeper than 64 levels') });
  });

  it('the remote type and message are cut, their passwords masked and their control characters made visible', async () => {
    const error = await remoteError(
      JSON.stringify({
        err: { type: `Evil${'E'.repeat(20_000)}`, message: `cannot reach amqp://app:s3cret@db:5672\r\nX-Forged: 1\u001b[2J${'m'.repeat(30_000)}` },
      }),
    );
    expect(error.remoteType.length).toBeLessThan(MAX_ERROR_TYPE_LENGTH + 40);
    expect(error.remoteMessage.length).toBeLessThan(MAX_ERROR_MESSAGE_LENGTH + 40);
    expect(error.remoteMessage).toContain('amqp://app:***@db:5672\\r\\nX-Forged: 1\\u001b[2J');
    expect(error.message).not.toContain('s3cret');
    // eslint-disable-next-line no-control-regex -- no control character may be left
    expect(error.message).not.toMatch(/[\r\n\u001b]/);
  });
});
