import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Param } from '@nestjs/common';
import request from 'supertest';
import { HandleRequest, RabbitClient, RemoteHandlerError } from '../src/rabbitmq/index.js';
import { RequestErrorFilter, requestQueueName } from '../src/rabbitmq/admin.js';
import { BrokerProbe } from './support/broker.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { RecordingLogger } from './support/recording-logger.js';

/**
 * Issue 21, point 4: what a request handler — or any AMQP client answering a request queue —
 * puts in its reply reaches the caller, and through RequestErrorFilter the HTTP client. Each case
 * is the attack as reported: a 2 MB error message, a connection URL with its password, a
 * 100,000-character error name, a reply nested 100,000 levels, a result that cannot be encoded.
 */

const RUN = randomUUID().slice(0, 8);
const PATTERNS = {
  password: `remote-errors.${RUN}.password`,
  name: `remote-errors.${RUN}.name`,
  bigint: `remote-errors.${RUN}.bigint`,
  /** Answered by a plain AMQP client (not warren): whatever it writes is the reply. */
  raw: `remote-errors.${RUN}.raw`,
} as const;
const PASSWORD = 's3cret-Pw';

@Controller()
class HostileResponder {
  @HandleRequest(PATTERNS.password)
  password(): never {
    throw new Error(`cannot reach amqp://app:${PASSWORD}@db.internal:5672/orders`);
  }

  @HandleRequest(PATTERNS.name)
  name(): never {
    const error = new Error('an error with a long name');
    error.name = 'N'.repeat(100_000);
    throw error;
  }

  @HandleRequest(PATTERNS.bigint)
  bigint(): { total: bigint } {
    return { total: 10n };
  }
}

/** The HTTP front: asks `kind` and answers with the reply (or RequestErrorFilter's status). */
@Controller('ask')
class AskController {
  constructor(private readonly client: RabbitClient) {}

  @Get(':kind')
  ask(@Param('kind') kind: string): Promise<unknown> {
    const pattern = kind in PATTERNS ? PATTERNS[kind as keyof typeof PATTERNS] : PATTERNS.raw;
    return this.client.request(pattern, { kind });
  }
}

/** Every line the app logged, so a test can say what went to the log and what did not. */
/** What a plain AMQP responder writes back, by the `kind` asked. */
const RAW_REPLIES: Record<string, () => string> = {
  'huge-error': () => JSON.stringify({ err: `out of stock: ${'x'.repeat(2_050_000)}`, isDisposed: true }),
  deep: () => `{"response":${'['.repeat(100_000)}${']'.repeat(100_000)},"isDisposed":true}`,
};

describe('remote errors reach an HTTP client bounded and redacted (issue 21, point 4)', () => {
  let service: ProbeApp;
  let broker: BrokerProbe;
  let logger: RecordingLogger;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    logger = new RecordingLogger();
    service = await startProbeApp('remote-errors', [HostileResponder, AskController], { requests: { timeoutMs: 4_000 } }, [], (app) => {
      app.useLogger(logger);
      app.useGlobalFilters(new RequestErrorFilter());
    });
    broker = await BrokerProbe.open();
    // Any AMQP client may consume a request queue and answer it.
    const queue = requestQueueName(service.exchange, PATTERNS.raw);
    await broker.channel.assertQueue(queue, { durable: false, autoDelete: true });
    await broker.channel.consume(
      queue,
      (message) => {
        if (!message) return;
        const { data } = JSON.parse(message.content.toString()) as { data: { kind: string } };
        const body = RAW_REPLIES[data.kind]?.() ?? '{"response":null}';
        broker.publish('', String(message.properties.replyTo), body, { correlationId: message.properties.correlationId as string });
      },
      { noAck: true },
    );
    http = request(service.app.getHttpServer());
  });

  afterAll(async () => {
    await broker?.close();
    await service?.dispose();
  });

  /** Asks `kind` over HTTP; returns the response, after checking it is the generic 502 and its id is in the log. */
  async function badGateway(kind: string): Promise<{ bytes: number; errorId: string; logged: string }> {
    const response = await http.get(`/ask/${kind}`);
    const bytes = Buffer.byteLength(response.text);
    expect({ kind, status: response.status }).toEqual({ kind, status: 502 });
    const { errorId } = response.body as { errorId: string };
    expect(errorId).toMatch(/^[0-9a-f-]{36}$/);
    const logged = logger.lines.find((line) => line.includes(errorId));
    expect(logged).toBeDefined();
    return { bytes, errorId, logged: logged! };
  }

  it('a 2 MB error message: a small 502 with an error id; the log line is capped', async () => {
    const { bytes, logged } = await badGateway('huge-error');
    // Before: a 502 body of 2,050,069 bytes (the remote message, whole).
    expect(bytes).toBeLessThan(300);
    expect(logged.length).toBeLessThan(2_000);
  });

  it("an error naming a URL with its password: the password reaches neither the HTTP client nor the caller's error", async () => {
    const response = await http.get('/ask/password');
    // Before: the 502 body held `amqp://app:s3cret-Pw@db.internal…`.
    expect(response.status).toBe(502);
    expect(response.text).not.toContain(PASSWORD);
    expect(response.text).not.toContain('db.internal');
    const error = await service.app
      .get(RabbitClient)
      .request(PATTERNS.password, {})
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(RemoteHandlerError);
    expect((error as RemoteHandlerError).remoteMessage).toBe('cannot reach amqp://app:***@db.internal:5672/orders');
    expect(logger.lines.join('\n')).not.toContain(PASSWORD);
  });

  it('a 100,000-character error name: the HTTP client never sees it, the caller gets it cut', async () => {
    const { bytes } = await badGateway('name');
    expect(bytes).toBeLessThan(300);
    const error = (await service.app
      .get(RabbitClient)
      .request(PATTERNS.name, {})
      .catch((failure: unknown) => failure)) as RemoteHandlerError;
    // Before: remoteType was the whole 100,000 characters, and so was the 502 body.
    expect(error.remoteType.length).toBeLessThanOrEqual(128);
  });

  it('a reply nested 100,000 levels: a 502 with an error id, not a 500 with a RangeError stack per request', async () => {
    for (let i = 0; i < 3; i++) {
      const { logged } = await badGateway('deep');
      expect(logged).toContain('MalformedReply');
    }
    // Before: 500, with a RangeError (Maximum call stack size exceeded) stack logged on every request.
    expect(logger.lines.filter((line) => line.includes('RangeError'))).toEqual([]);
  });

  it('a result that cannot be encoded (a BigInt) is answered as an error at once, not left to time out', async () => {
    // A 502 naming ReplyEncodeError, where a reply left to time out would be a 504 after 4 s.
    const { logged } = await badGateway('bigint');
    expect(logged).toContain('ReplyEncodeError');
  });
});
