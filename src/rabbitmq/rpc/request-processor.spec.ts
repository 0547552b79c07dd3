import { describe, expect, it } from '@jest/globals';
import type { ConsumeMessage, Options } from 'amqplib';
import type { DeliveryOutcome } from '../failure/delivery-outcome.js';
import { PerMessageLog } from '../logging/per-message-log.js';
import type { ReplyDropReason } from './dropped-replies.js';
import type { ReplySender } from './reply-publisher.js';
import { RequestProcessor } from './request-processor.js';

const ADDRESS = 'amq.rabbitmq.reply-to.g1h2AA1yZXBseUA5MjQ4ODg0AAATTQAAAABrFQMn.S7c2cWBHnqSE7p8w2GP7+g==';

interface Sent {
  replyTo: string;
  body: { id?: string; response?: unknown; err?: { type: string; message: string } };
  properties: Options.Publish;
}

/** A processor whose handler returned `value` (or failed), replies recorded, drops counted. */
function processorOf(run: { outcome: DeliveryOutcome; value?: unknown; error?: unknown }, refuse?: ReplyDropReason) {
  const sent: Sent[] = [];
  const drops: ReplyDropReason[] = [];
  const lines: string[] = [];
  const replies: ReplySender = {
    send: (replyTo, content, properties) => {
      sent.push({ replyTo, body: JSON.parse(content.toString()) as Sent['body'], properties });
      return Promise.resolve(refuse);
    },
  };
  const processor = new RequestProcessor({
    processor: { run: () => run },
    replies,
    log: new PerMessageLog({ warn: (line: string) => lines.push(line), error: () => undefined }),
    countDropped: (reason) => drops.push(reason),
    queue: 'shop.rpc.stock',
    allowedReplyQueues: new Set(['billing.replies']),
    maxMessageBytes: 1_024,
  });
  return { processor, sent, drops, lines };
}

function request(replyTo: string | undefined, correlationId = 'c-1'): ConsumeMessage {
  return {
    content: Buffer.from('{}'),
    fields: { routingKey: 'anything' },
    properties: { replyTo, correlationId, headers: {} },
  } as unknown as ConsumeMessage;
}

describe('RequestProcessor: the reply is built and sent inside its own guard', () => {
  it('a result that cannot be encoded (BigInt, too deep) is answered as ReplyEncodeError, never thrown', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    for (const value of [10n, deep]) {
      const { processor, sent } = processorOf({ outcome: { kind: 'ack' }, value });
      await expect(processor.process(request(ADDRESS))).resolves.toEqual({ kind: 'ack', failedRequest: { dependencyDown: false } });
      expect(sent[0].body.err).toMatchObject({
        type: 'ReplyEncodeError',
        message: expect.stringContaining("the handler's result could not be encoded"),
      });
    }
  });

  it('a result over maxMessageBytes is answered as MessageTooLargeError', async () => {
    const { processor, sent } = processorOf({ outcome: { kind: 'ack' }, value: 'x'.repeat(2_000) });
    await processor.process(request(ADDRESS));
    expect(sent[0].body.err).toMatchObject({ type: 'MessageTooLargeError' });
  });

  it('replies to a direct reply-to address or an allowed queue; any other is dropped and counted, never sent', async () => {
    const { processor, sent, drops } = processorOf({ outcome: { kind: 'ack' }, value: 3 });
    await processor.process(request(ADDRESS));
    await processor.process(request('billing.replies'));
    await processor.process(request('orders.someone-elses-queue'));
    await processor.process(request('amq.rabbitmq.reply-to.AAAA.BBBB'));
    expect(sent.map((reply) => reply.replyTo)).toEqual([ADDRESS, 'billing.replies']);
    expect(drops).toEqual(['invalid_address', 'invalid_address']);
  });

  it('1,000 hostile reply addresses: all counted, one log line naming the queue and reason, never the address', async () => {
    const { processor, drops, lines } = processorOf({ outcome: { kind: 'ack' }, value: 3 });
    for (let i = 0; i < 1_000; i++) {
      await processor.process(request(`victim-${i}\r\nX-Forged: 1`));
    }
    expect(drops).toHaveLength(1_000);
    expect(lines).toEqual([
      'a reply to a request on shop.rpc.stock was dropped: its replyTo is neither a direct reply-to address (amq.rabbitmq.reply-to.<pid>.<key>) ' +
        'nor a queue listed in the allowedReplyQueues option; counted in warren_replies_dropped_total{reason="invalid_address"}',
    ]);
  });

  it('a reply the broker refused is counted; the request is still acked', async () => {
    const { processor, drops } = processorOf({ outcome: { kind: 'ack' }, value: 3 }, 'refused');
    await expect(processor.process(request(ADDRESS))).resolves.toEqual({ kind: 'ack' });
    expect(drops).toEqual(['refused']);
  });

  it('the correlationId is echoed printable, in the properties and in the packet', async () => {
    const { processor, sent } = processorOf({ outcome: { kind: 'ack' }, value: 3 });
    await processor.process(request(ADDRESS, 'c-1\r\n\u001b[2J'));
    expect(sent[0].properties.correlationId).toBe('c-1\\r\\n\\u001b[2J');
    expect(sent[0].body.id).toBe('c-1\\r\\n\\u001b[2J');
  });
});
