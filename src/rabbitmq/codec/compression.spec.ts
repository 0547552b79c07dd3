import { describe, expect, it } from '@jest/globals';
import { deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { DecodeError } from '../errors/decode.error.js';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import { compress, decompress, isIdentityEncoding, isSupportedEncoding, normalizeEncoding } from './compression.js';

const body = Buffer.from(JSON.stringify({ text: 'héllo '.repeat(1_000) }));

describe('compression', () => {
  it('gzips and deflates in the formats zlib and any HTTP client read', async () => {
    expect(gunzipSync(await compress(body, 'gzip')).equals(body)).toBe(true);
    expect(inflateSync(await compress(body, 'deflate')).equals(body)).toBe(true);
    expect((await compress(body, 'gzip')).length).toBeLessThan(body.length / 10);
  });

  it('round-trips through decompress', async () => {
    expect((await decompress(await compress(body, 'gzip'), 'gzip', body.length)).equals(body)).toBe(true);
    expect((await decompress(await compress(body, 'deflate'), 'deflate', body.length)).equals(body)).toBe(true);
    expect((await decompress(gzipSync(body), 'x-gzip', body.length)).equals(body)).toBe(true);
  });

  it('returns an identity body as it is', async () => {
    expect(await decompress(body, '', 1)).toBe(body);
    expect(await decompress(body, 'identity', 1)).toBe(body);
  });

  it('refuses output past the limit with MessageTooLargeError, and accepts exactly the limit', async () => {
    await expect(decompress(gzipSync(body), 'gzip', body.length - 1)).rejects.toThrow(MessageTooLargeError);
    await expect(decompress(deflateSync(body), 'deflate', body.length - 1)).rejects.toThrow(MessageTooLargeError);
    expect((await decompress(gzipSync(body), 'gzip', body.length)).length).toBe(body.length);
  });

  it('refuses corrupt data and unknown encodings with DecodeError', async () => {
    await expect(decompress(body, 'gzip', 1e6)).rejects.toThrow(DecodeError);
    await expect(decompress(gzipSync(body).subarray(0, 20), 'gzip', 1e6)).rejects.toThrow(DecodeError);
    await expect(decompress(body, 'deflate', 1e6)).rejects.toThrow(DecodeError);
    await expect(decompress(body, 'br', 1e6)).rejects.toThrow(DecodeError);
    await expect(decompress(body, 'constructor', 1e6)).rejects.toThrow(DecodeError);
  });

  it('does not block the event loop while inflating a large body', async () => {
    const large = gzipSync(Buffer.alloc(32 * 1024 * 1024, 'a'));
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    try {
      await expect(decompress(large, 'gzip', 32 * 1024 * 1024)).resolves.toHaveLength(32 * 1024 * 1024);
    } finally {
      clearInterval(ticker);
    }
    expect(ticks).toBeGreaterThan(0);
  });

  it('normalizes and classifies content-encoding values', () => {
    expect(normalizeEncoding(' GZip ')).toBe('gzip');
    expect(normalizeEncoding(undefined)).toBe('');
    expect(normalizeEncoding(7)).toBe('');
    expect(isIdentityEncoding('')).toBe(true);
    expect(isIdentityEncoding('identity')).toBe(true);
    expect(isIdentityEncoding('gzip')).toBe(false);
    expect(['gzip', 'x-gzip', 'deflate', 'identity', ''].every(isSupportedEncoding)).toBe(true);
    expect(['br', 'zstd', 'toString', '__proto__'].some(isSupportedEncoding)).toBe(false);
  });
});
