import { describe, expect, it } from '@jest/globals';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import { RequestNotSentError } from '../errors/request.errors.js';
import { MAX_TIMER_MS } from '../rabbitmq.constants.js';
import { HEADER_REQUEST_CORRELATION_ID } from '../wire/message-headers.js';
import { buildRequest, DIRECT_REPLY_TO, requestTimeoutOf, unroutedRequestError } from './request-message.js';

const spec = {
  pattern: 'inventory.stock',
  data: { sku: 's-1' },
  id: 'req-1',
  timeoutMs: 750,
  exchange: 'shop',
  serviceName: 'web',
  maxMessageBytes: 1_024,
};

describe('request message (shared by RabbitRequester and warren/testing)', () => {
  it("is Nest's packet to <exchange>.rpc.<pattern>, answered at direct reply-to, expiring with the caller's timeout", () => {
    const request = buildRequest({ ...spec, correlationId: 'corr-9' });
    expect(request.queue).toBe('shop.rpc.inventory.stock');
    expect(JSON.parse(request.content.toString())).toEqual({ pattern: 'inventory.stock', data: { sku: 's-1' }, id: 'req-1' });
    expect(request.properties).toMatchObject({
      correlationId: 'req-1',
      messageId: 'req-1',
      replyTo: DIRECT_REPLY_TO,
      expiration: '750',
      persistent: false,
      mandatory: true,
      type: 'inventory.stock',
      appId: 'web',
      headers: { [HEADER_REQUEST_CORRELATION_ID]: 'corr-9' },
    });
    expect(buildRequest(spec).properties.headers).toEqual({});
  });

  it('refuses a request over maxMessageBytes and a timeout out of range', () => {
    expect(() => buildRequest({ ...spec, data: 'x'.repeat(2_000) })).toThrow(MessageTooLargeError);
    expect(requestTimeoutOf(undefined, 5_000)).toBe(5_000);
    expect(requestTimeoutOf(20, 5_000)).toBe(20);
    expect(() => requestTimeoutOf(0, 5_000)).toThrow(TypeError);
    expect(() => requestTimeoutOf(MAX_TIMER_MS + 1, 5_000)).toThrow(/from 1 to/);
  });

  it('names the missing queue when a request cannot be routed', () => {
    const error = unroutedRequestError('shop.rpc.nobody', 'nobody');
    expect(error).toBeInstanceOf(RequestNotSentError);
    expect(error.message).toBe("no queue 'shop.rpc.nobody' for 'nobody': no service with a @MessagePattern handler of it ever started");
  });
});
