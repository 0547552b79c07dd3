import { describe, expect, it } from '@jest/globals';
import type { ArgumentsHost } from '@nestjs/common';
import {
  PublishBufferFullError,
  PublisherBlockedError,
  PublishOutcomeUnknownError,
  PublishRejectedError,
  PublishStalledError,
  PublishTimeoutError,
} from '../errors/publish.errors.js';
import { PublishErrorFilter } from './publish-error.filter.js';

/** What the filter wrote to the HTTP response. */
interface Written {
  status?: number;
  headers: Record<string, string>;
  body?: Record<string, unknown>;
}

function answer(error: Parameters<PublishErrorFilter['catch']>[0]): Written {
  const written: Written = { headers: {} };
  const response = {
    header: (name: string, value: string) => (written.headers[name.toLowerCase()] = value),
    status(code: number) {
      written.status = code;
      return this;
    },
    send: (body: Record<string, unknown>) => (written.body = body),
  };
  const host = { getType: () => 'http', switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  new PublishErrorFilter().catch(error, host);
  return written;
}

describe('PublishErrorFilter: the status says whether the event was sent', () => {
  it.each([
    ['blocked', new PublisherBlockedError('the broker is blocking publishers (low on memory); the event was not sent')],
    ['buffer full', new PublishBufferFullError('1000 publishes already wait for confirms; the event was not sent')],
    ['stalled', new PublishStalledError('the broker has not confirmed a publish for 2100 ms; the event was not sent')],
    ['no channel', new PublishTimeoutError('no usable channel to the broker within 250 ms; the event was not sent')],
    ['nacked', new PublishRejectedError('the broker nacked the publish: the event was not stored')],
  ])('not sent (%s): 503 + Retry-After, the cause in the message, no eventId', (_, error) => {
    const written = answer(error);
    expect(written.status).toBe(503);
    expect(written.headers['retry-after']).toBe('1');
    expect(written.body).toMatchObject({ statusCode: 503, message: expect.stringContaining(error.message) });
    expect(written.body).not.toHaveProperty('eventId');
  });

  it('sent, answer unknown: 504 with outcome "unknown" and the eventId, no Retry-After', () => {
    const written = answer(new PublishOutcomeUnknownError('the event was sent but no confirm came within 5000 ms', 'evt-42'));
    expect(written.status).toBe(504);
    expect(written.headers).toEqual({});
    expect(written.body).toEqual({
      statusCode: 504,
      error: 'Gateway Timeout',
      outcome: 'unknown',
      eventId: 'evt-42',
      message: 'event outcome unknown: the event was sent but no confirm came within 5000 ms',
    });
  });
});
