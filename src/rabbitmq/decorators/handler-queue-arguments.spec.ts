import { describe, expect, it } from '@jest/globals';
import { HandlerRegistrationError } from '../errors/handler-registration.error.js';
import { handlerQueueArguments } from './handler-queue-arguments.js';

function refusal(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(HandlerRegistrationError);
    return (error as Error).message;
  }
  throw new Error('expected a HandlerRegistrationError');
}

describe('handlerQueueArguments', () => {
  it('passes the safe arguments through as x- arguments', () => {
    expect(
      handlerQueueArguments('audit.order', 'classic', {
        ordered: false,
        queueArguments: { maxLength: 100, maxLengthBytes: 1_000_000, overflow: 'reject-publish', messageTtlMs: 60_000, maxPriority: 5 },
      }),
    ).toEqual({
      'x-max-length': 100,
      'x-max-length-bytes': 1_000_000,
      'x-overflow': 'reject-publish',
      'x-message-ttl': 60_000,
      'x-max-priority': 5,
    });
  });

  it('adds x-single-active-consumer for an ordered handler, nothing when none is set', () => {
    expect(handlerQueueArguments('a.b', 'quorum', { ordered: true })).toEqual({ 'x-single-active-consumer': true });
    expect(handlerQueueArguments('a.b', 'quorum', { ordered: false })).toEqual({});
  });

  it('refuses maxPriority on a quorum queue, naming the fix', () => {
    expect(refusal(() => handlerQueueArguments('a.b', 'quorum', { ordered: false, queueArguments: { maxPriority: 5 } }))).toMatch(
      /queueArguments of handler 'a\.b': maxPriority needs a classic queue .*queueType: 'classic'/,
    );
  });

  it('refuses an overflow the queue type does not have, and one without a length bound', () => {
    expect(
      refusal(() => handlerQueueArguments('a.b', 'quorum', { ordered: false, queueArguments: { maxLength: 5, overflow: 'reject-publish-dlx' } })),
    ).toMatch(/overflow 'reject-publish-dlx' is not one of drop-head, reject-publish \(for quorum queues\)/);
    expect(refusal(() => handlerQueueArguments('a.b', 'classic', { ordered: false, queueArguments: { overflow: 'drop-head' } }))).toMatch(
      /overflow only acts with maxLength or maxLengthBytes/,
    );
  });

  it.each([
    [{ maxLength: 0 }, /maxLength must be an integer from 1/],
    [{ maxLength: 1.5 }, /maxLength must be an integer/],
    [{ messageTtlMs: -1 }, /messageTtlMs must be an integer from 0 to 4294967295/],
    [{ maxPriority: 256 }, /maxPriority must be an integer from 1 to 255/],
  ])('refuses out-of-range %j', (queueArguments, message) => {
    expect(refusal(() => handlerQueueArguments('a.b', 'classic', { ordered: false, queueArguments }))).toMatch(message);
  });
});
