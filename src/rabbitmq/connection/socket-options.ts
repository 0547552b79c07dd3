import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { tlsSocketOptions } from './tls-socket-options.js';

/**
 * What amqplib is given for the socket of one connection.
 *
 * `noDelay`: amqplib leaves Nagle's algorithm on unless told otherwise, so a publish written
 * while an earlier segment is still unacknowledged waits in the kernel for that ACK — which
 * the broker may delay — and every HTTP request waiting on a confirm waits with it. The frames
 * of one message leave in a single write, so turning Nagle off costs no extra packets per
 * message.
 */
export function socketOptions(
  options: Pick<ResolvedRabbitMQOptions, 'urls'> & { connection: Pick<ResolvedRabbitMQOptions['connection'], 'tls' | 'connectTimeoutMs'> },
  connectionName: string,
): Record<string, unknown> {
  const usesTls = options.urls.some((url) => url.startsWith('amqps://'));
  return {
    ...(usesTls ? tlsSocketOptions(options.connection.tls) : {}),
    timeout: options.connection.connectTimeoutMs, // a connection attempt that stays silent longer fails, and the next URL is tried
    noDelay: true,
    clientProperties: { connection_name: connectionName },
  };
}
