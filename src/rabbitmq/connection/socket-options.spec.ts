import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONNECT_TIMEOUT_MS, socketOptions } from './socket-options.js';

const NO_TLS = { caFile: undefined, certFile: undefined, keyFile: undefined, servername: undefined };

describe('socketOptions', () => {
  it('turns Nagle off, bounds the connect and names the connection', () => {
    const options = socketOptions({ urls: ['amqp://guest:guest@127.0.0.1:5672'], tls: NO_TLS }, 'orders-publisher');
    expect(options).toEqual({ timeout: CONNECT_TIMEOUT_MS, noDelay: true, clientProperties: { connection_name: 'orders-publisher' } });
  });

  it('adds the TLS settings, certificate checks on, when a URL is amqps://', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-socket-'));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, 'not really a CA');
    const options = socketOptions({ urls: ['amqps://mq.example.com'], tls: { ...NO_TLS, caFile, servername: 'mq.internal' } }, 'orders-consumer');
    expect(options).toMatchObject({ rejectUnauthorized: true, servername: 'mq.internal', noDelay: true, timeout: CONNECT_TIMEOUT_MS });
    expect(String((options.ca as Buffer[])[0])).toBe('not really a CA');
  });

  it('names a missing certificate file instead of connecting without it', () => {
    expect(() => socketOptions({ urls: ['amqps://mq.example.com'], tls: { ...NO_TLS, caFile: '/nope/ca.pem' } }, 'x')).toThrow(
      "cannot read the TLS CA file '/nope/ca.pem'",
    );
  });
});
