import { promisify } from 'node:util';
import { deflate, gunzip, gzip, inflate, type ZlibOptions } from 'node:zlib';
import { DecodeError } from '../errors/decode.error.js';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';

/** How published bodies above the threshold are compressed (`content-encoding`); `none` never. */
export type Compression = 'gzip' | 'deflate' | 'none';

export const COMPRESSIONS: readonly Compression[] = ['gzip', 'deflate', 'none'];

// The callback forms run in libuv's thread pool: a 1 MiB body never blocks the event loop.
const gzipAsync = promisify(gzip);
const deflateAsync = promisify(deflate);
const gunzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gunzip);
const inflateAsync = promisify<Buffer, ZlibOptions, Buffer>(inflate);

/** `content-encoding` values read on consume, and how each is undone. */
const DECOMPRESSORS: Readonly<Record<string, (body: Buffer, options: ZlibOptions) => Promise<Buffer>>> = {
  gzip: gunzipAsync,
  // HTTP's old name for gzip, still sent by some clients.
  'x-gzip': gunzipAsync,
  // As in HTTP: the zlib format (RFC 1950), which is what zlib's deflate() writes.
  deflate: inflateAsync,
};

const IDENTITY_ENCODINGS = new Set(['', 'identity']);

/** Lower-cased and trimmed `content-encoding`; '' when absent. */
export function normalizeEncoding(contentEncoding: unknown): string {
  return typeof contentEncoding === 'string' ? contentEncoding.trim().toLowerCase() : '';
}

/** True for no encoding at all (absent, blank or `identity`). */
export function isIdentityEncoding(encoding: string): boolean {
  return IDENTITY_ENCODINGS.has(encoding);
}

/** True for an encoding `decompress` can undo. */
export function isSupportedEncoding(encoding: string): boolean {
  return isIdentityEncoding(encoding) || Object.hasOwn(DECOMPRESSORS, encoding);
}

export function compress(body: Buffer, compression: Exclude<Compression, 'none'>): Promise<Buffer> {
  return compression === 'gzip' ? gzipAsync(body) : deflateAsync(body);
}

/**
 * Undoes a `content-encoding`, producing at most `maxOutputBytes`: zlib stops as soon as the
 * output passes it, so a zip bomb (50 MB of zeros in 50 KB) costs at most that much memory.
 * Over the limit → MessageTooLargeError; corrupt or unknown → DecodeError.
 */
export async function decompress(body: Buffer, encoding: string, maxOutputBytes: number): Promise<Buffer> {
  if (isIdentityEncoding(encoding)) {
    return body;
  }
  if (!Object.hasOwn(DECOMPRESSORS, encoding)) {
    throw new DecodeError(`unsupported content-encoding '${encoding}'`);
  }
  try {
    return await DECOMPRESSORS[encoding](body, { maxOutputLength: maxOutputBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      const tooLarge = new MessageTooLargeError(maxOutputBytes + 1, maxOutputBytes);
      tooLarge.message = `body decompressed (content-encoding ${encoding}) to more than the limit of ${maxOutputBytes} bytes`;
      throw tooLarge;
    }
    throw new DecodeError(`body is not valid ${encoding}: ${(error as Error).message}`);
  }
}
