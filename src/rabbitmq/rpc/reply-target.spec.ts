import { describe, expect, it } from '@jest/globals';
import { echoedCorrelationId, isAllowedReplyTarget, MAX_REPLY_CORRELATION_ID_BYTES } from './reply-target.js';

/** An address RabbitMQ 3.10.8 gave a channel consuming amq.rabbitmq.reply-to. */
const REAL = 'amq.rabbitmq.reply-to.g1h2AA1yZXBseUA5MjQ4ODg0AAATTQAAAABrFQMn.S7c2cWBHnqSE7p8w2GP7+g==';
const NONE: ReadonlySet<string> = new Set();

describe('reply target: where a reply may go, and the key it carries', () => {
  it('takes a direct reply-to address of the broker form', () => {
    expect(isAllowedReplyTarget(REAL, NONE)).toBe(true);
  });

  it.each([
    ['an ordinary queue', 'orders.stolen-replies'],
    ['the bare pseudo queue', 'amq.rabbitmq.reply-to'],
    ['no key', 'amq.rabbitmq.reply-to.g1h2AA1yZXBseUA5MjQ4ODg0AAATTQAAAABrFQMn'],
    ['a pid that is not base64', 'amq.rabbitmq.reply-to.not*base64.S7c2cWBHnqSE7p8w2GP7+g=='],
    ['a pid that is not an Erlang term (the 541 of issue 21)', 'amq.rabbitmq.reply-to.AAAA.BBBB'],
    ['a term that is not a pid', `amq.rabbitmq.reply-to.${Buffer.from([131, 97, 5]).toString('base64')}.S7c2cWBHnqSE7p8w2GP7+g==`],
    ['an address over 255 bytes', `amq.rabbitmq.reply-to.g1h2${'A'.repeat(300)}.S7c2cWBHnqSE7p8w2GP7+g==`],
    ['a line break after the key', `${REAL}\n`],
  ])('refuses %s', (_case, replyTo) => {
    expect(isAllowedReplyTarget(replyTo, NONE)).toBe(false);
  });

  it('takes a queue only when allowedReplyQueues lists it', () => {
    expect(isAllowedReplyTarget('billing.replies', new Set(['billing.replies']))).toBe(true);
    expect(isAllowedReplyTarget('billing.replies-2', new Set(['billing.replies']))).toBe(false);
  });

  it('echoes a plain correlationId unchanged, a forged one printable and bounded in bytes', () => {
    expect(echoedCorrelationId('0b7c7d2e-6c1f-4f0e-9d6a-1c2b3a4d5e6f')).toBe('0b7c7d2e-6c1f-4f0e-9d6a-1c2b3a4d5e6f');
    expect(echoedCorrelationId('S7c2cWBHnqSE7p8w2GP7+g==')).toBe('S7c2cWBHnqSE7p8w2GP7+g==');
    expect(echoedCorrelationId('id\r\n\u001b[2J')).toBe('id\\r\\n\\u001b[2J');
    expect(echoedCorrelationId(undefined)).toBeUndefined();
    const controls = echoedCorrelationId('\u0007'.repeat(255))!;
    expect(Buffer.byteLength(controls)).toBeLessThanOrEqual(MAX_REPLY_CORRELATION_ID_BYTES);
    const wide = echoedCorrelationId('€'.repeat(85))!; // 255 bytes, 3 per character: cut between characters
    expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(MAX_REPLY_CORRELATION_ID_BYTES);
    expect(wide).toBe('€'.repeat(42));
  });
});
