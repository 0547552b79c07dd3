import { readFileSync } from 'node:fs';
import type { TlsOptions } from '../options/rabbitmq-options.interface.js';

/**
 * Socket options for amqps:// URLs: certificates read once at start-up (a missing file is a
 * start-up error naming it), and the broker's certificate always verified — against
 * `servername` when given, else the URL's host.
 */
export function tlsSocketOptions(tls: TlsOptions): Record<string, unknown> {
  const read = (path: string | undefined, what: string): Buffer | undefined => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(`cannot read the TLS ${what} file '${path}': ${(error as Error).message}`, { cause: error });
    }
  };
  const options: Record<string, unknown> = { rejectUnauthorized: true };
  const ca = read(tls.caFile, 'CA');
  const cert = read(tls.certFile, 'certificate');
  const key = read(tls.keyFile, 'key');
  if (ca) options.ca = [ca];
  if (cert) options.cert = cert;
  if (key) options.key = key;
  if (tls.servername) options.servername = tls.servername;
  return options;
}
