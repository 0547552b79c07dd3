import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRabbitMQOptions } from '../options/resolve-options.js';
import { socketOptions } from './socket-options.js';

const NO_TLS = { caFile: undefined, certFile: undefined, keyFile: undefined, servername: undefined };

describe('socketOptions', () => {
  it('turns Nagle off, bounds the connect by connection.connectTimeoutMs and names the connection', () => {
    const options = socketOptions(
      { urls: ['amqp://guest:guest@127.0.0.1:5672'], connection: { tls: NO_TLS, connectTimeoutMs: 2_500 } },
      'orders-publisher',
    );
    expect(options).toEqual({ timeout: 2_500, noDelay: true, clientProperties: { connection_name: 'orders-publisher' } });
  });

  it('takes the connect timeout from the module options, bounded like every duration', () => {
    expect(resolveRabbitMQOptions({ urls: ['amqp://h'], serviceName: 's' }).connection.connectTimeoutMs).toBe(10_000);
    expect(
      resolveRabbitMQOptions({ urls: ['amqp://h'], serviceName: 's', connection: { connectTimeoutMs: 2_500 } }).connection.connectTimeoutMs,
    ).toBe(2_500);
    expect(() => resolveRabbitMQOptions({ urls: ['amqp://h'], serviceName: 's', connection: { connectTimeoutMs: 50 } })).toThrow(/connectTimeoutMs/);
  });

  it('adds the TLS settings, certificate checks on, when a URL is amqps://', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-socket-'));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, 'not really a CA');
    const options = socketOptions(
      { urls: ['amqps://mq.example.com'], connection: { tls: { ...NO_TLS, caFile, servername: 'mq.internal' }, connectTimeoutMs: 10_000 } },
      'orders-consumer',
    );
    expect(options).toMatchObject({ rejectUnauthorized: true, servername: 'mq.internal', noDelay: true, timeout: 10_000 });
    expect(String((options.ca as Buffer[])[0])).toBe('not really a CA');
  });

  it('names a missing certificate file instead of connecting without it', () => {
    expect(() =>
      socketOptions({ urls: ['amqps://mq.example.com'], connection: { tls: { ...NO_TLS, caFile: '/nope/ca.pem' }, connectTimeoutMs: 10_000 } }, 'x'),
    ).toThrow("cannot read the TLS CA file '/nope/ca.pem'");
  });
});
