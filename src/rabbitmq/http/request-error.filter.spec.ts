import { describe, expect, it } from '@jest/globals';
import type { ArgumentsHost } from '@nestjs/common';
import {
  RemoteHandlerError,
  RequestConnectionLostError,
  type RequestError,
  RequestNotSentError,
  RequestsInFlightExceededError,
  RequestTimeoutError,
} from '../errors/request.errors.js';
import { RequestErrorFilter } from './request-error.filter.js';

/** What the filter wrote to the HTTP response. */
interface Written {
  status?: number;
  headers: Record<string, string>;
  body?: Record<string, unknown>;
}

function answer(error: RequestError): Written {
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
  new RequestErrorFilter().catch(error, host);
  return written;
}

describe('RequestErrorFilter: the status says why no reply came', () => {
  it('no reply in time: 504', () => {
    const written = answer(new RequestTimeoutError('inventory.stock', 500));
    expect(written.status).toBe(504);
    expect(written.body).toMatchObject({ error: 'Gateway Timeout', message: expect.stringContaining('within 500 ms') });
  });

  it('the handler failed: 502 with an error id only; the remote type and message stay in the log', () => {
    const written = answer(new RemoteHandlerError('inventory.stock', 'ValidationError', 'cannot reach amqp://app:s3cret@db'));
    expect(written.status).toBe(502);
    expect(written.body).toEqual({
      statusCode: 502,
      error: 'Bad Gateway',
      message: expect.stringContaining(String(written.body?.errorId)),
      errorId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(JSON.stringify(written.body)).not.toMatch(/ValidationError|s3cret|cannot reach/);
  });

  it.each([
    ['in-flight bound', new RequestsInFlightExceededError('1000 requests already await replies', 'inventory.stock')],
    ['connection lost', new RequestConnectionLostError('the connection to the broker dropped', 'inventory.stock')],
    ['not sent', new RequestNotSentError('no queue for inventory.stock', 'inventory.stock')],
  ])('%s: 503 with Retry-After', (_case, error) => {
    const written = answer(error);
    expect(written.status).toBe(503);
    expect(written.headers['retry-after']).toBe('1');
  });
});
