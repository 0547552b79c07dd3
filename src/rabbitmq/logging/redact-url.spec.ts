import { describe, expect, it } from '@jest/globals';
import { redactText, redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it('masks the password and keeps user, host, port and vhost', () => {
    expect(redactUrl('amqp://guest:guest@127.0.0.1:5672')).toBe('amqp://guest:***@127.0.0.1:5672');
    expect(redactUrl('amqps://orders:s3cretPass@mq.example.com:5671/prod?heartbeat=10')).toBe(
      'amqps://orders:***@mq.example.com:5671/prod?heartbeat=10',
    );
  });

  it('is case-insensitive on the scheme', () => {
    expect(redactUrl('AMQP://user:s3cretPass@host')).toBe('AMQP://user:***@host');
  });

  it('masks an empty password and a password with an empty user', () => {
    expect(redactUrl('amqp://user:@host')).toBe('amqp://user:***@host');
    expect(redactUrl('amqp://:s3cretPass@host')).toBe('amqp://:***@host');
  });

  it('masks percent-encoded passwords', () => {
    const redacted = redactUrl('amqp://user:p%40ss%2Fw0rd@host:5672/%2F');
    expect(redacted).toBe('amqp://user:***@host:5672/%2F');
    expect(redacted).not.toContain('w0rd');
  });

  it('leaves URLs without a password unchanged', () => {
    for (const url of ['amqp://127.0.0.1:5672', 'amqp://user@host:5672/vhost', 'amqps://mq.example.com']) {
      expect(redactUrl(url)).toBe(url);
    }
  });

  it("masks up to the last '@': a password holding '@' or '/' never leaks (over-masking odd vhosts is the safe side)", () => {
    expect(redactUrl('amqp://user:p@ssW0rd@host:5672')).toBe('amqp://user:***@host:5672');
    expect(redactUrl('amqp://user:pa/ssW0rd@host')).toBe('amqp://user:***@host');
    expect(redactText('failed amqp://user:p@ss/W0rd@host:5672, retrying')).toBe('failed amqp://user:***@host:5672, retrying');
    expect(redactUrl('amqp://host:5672/a:b@c')).not.toContain('b@c');
  });

  it('leaves text that is not an AMQP URL unchanged', () => {
    expect(redactUrl('not a url')).toBe('not a url');
    expect(redactUrl('')).toBe('');
  });
});

describe('redactText', () => {
  it('masks PostgreSQL URLs too (the outbox logs pg errors, which can carry DATABASE_URL)', () => {
    expect(redactUrl('postgres://app:s3cret,Pass@db:5432/orders')).toBe('postgres://app:***@db:5432/orders');
    expect(redactText('connect failed (postgresql://app:p@ssW0rd@db/orders) and amqp://u:s3cret@mq, retrying')).not.toMatch(/s3cret|W0rd/);
    expect(redactText('POSTGRESQL://app:s3cretPass@db/orders')).toBe('POSTGRESQL://app:***@db/orders');
    expect(redactText('see postgres://db:5432/orders')).toBe('see postgres://db:5432/orders');
  });

  it('masks the password of every URL in a text', () => {
    const text = 'connect ECONNREFUSED amqp://alice:s3cretPass@node-1:5672 and amqps://bob:0therPass@node-2:5671/vh, giving up';
    const redacted = redactText(text);
    expect(redacted).toBe('connect ECONNREFUSED amqp://alice:***@node-1:5672 and amqps://bob:***@node-2:5671/vh, giving up');
    expect(redacted).not.toContain('s3cretPass');
    expect(redacted).not.toContain('0therPass');
  });

  it('masks URLs inside quotes and after a colon', () => {
    expect(redactText("Error: 'amqp://u:s3cretPass@h' refused")).toBe("Error: 'amqp://u:***@h' refused");
    expect(redactText('url=amqp://u:s3cretPass@h')).toBe('url=amqp://u:***@h');
  });

  it('masks URLs of a comma-separated list', () => {
    const redacted = redactText('amqp://a:one1@h1,amqp://b:two2@h2');
    expect(redacted).toBe('amqp://a:***@h1,amqp://b:***@h2');
  });

  it("masks passwords holding quotes, commas and '@' (any character but whitespace)", () => {
    expect(redactText(`failed: amqp://u:pa'ss"w@rd,x@h:5672 refused`)).toBe('failed: amqp://u:***@h:5672 refused');
    expect(redactText(`"amqp://u:se"cret@h"`)).toBe('"amqp://u:***@h"');
    expect(redactText("url='amqp://u:it's@h'")).toBe("url='amqp://u:***@h'");
  });

  it('leaves text without credentials unchanged', () => {
    const text = 'could not connect to amqp://node-1:5672 (user guest): timeout at 12:30 @ node-2';
    expect(redactText(text)).toBe(text);
  });

  it('is idempotent', () => {
    const once = redactText('amqp://u:s3cretPass@h and amqp://v:x@k');
    expect(redactText(once)).toBe(once);
  });
});
