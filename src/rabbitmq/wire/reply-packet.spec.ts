import { encodeReply, encodeRequest, readReply } from './reply-packet.js';

/** A reply body as the decoder hands it over. */
const decoded = (content: Buffer): unknown => JSON.parse(content.toString());

describe('reply packet (Nest ServerRMQ / ClientRMQ format)', () => {
  it("writes requests as Nest's { pattern, data, id }", () => {
    expect(JSON.parse(encodeRequest('inventory.stock', { sku: 'a' }, 'id-1').toString())).toEqual({
      pattern: 'inventory.stock',
      data: { sku: 'a' },
      id: 'id-1',
    });
  });

  it('reads back the response of a reply, and the err of a failed one', () => {
    expect(readReply(decoded(encodeReply('id-1', { response: { available: 3 } })))).toEqual({ response: { available: 3 } });
    expect(readReply(decoded(encodeReply('id-1', { err: { type: 'ValidationError', message: 'sku must be a string' } })))).toEqual({
      err: { type: 'ValidationError', message: 'sku must be a string' },
    });
    expect(JSON.parse(encodeReply('id-1', { response: 1 }).toString())).toMatchObject({ id: 'id-1', isDisposed: true });
  });

  it("reads Nest ServerRMQ's string err and a falsy response", () => {
    expect(readReply({ err: 'There is no matching message handler', status: 'error' })).toEqual({
      err: { type: 'RemoteError', message: 'There is no matching message handler' },
    });
    expect(readReply({ response: 0, isDisposed: true, err: null })).toEqual({ response: 0 });
  });

  it('turns a body that is not a JSON object into a MalformedReply error, never a throw', () => {
    expect(readReply(42)).toEqual({ err: { type: 'MalformedReply', message: 'the reply is not a JSON object' } });
    expect(readReply([1])).toEqual({ err: { type: 'MalformedReply', message: 'the reply is not a JSON object' } });
  });
});
