import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { tlsSocketOptions } from './tls-socket-options.js';

/**
 * Longest a connection attempt (TCP connect + TLS + AMQP handshake) may stay silent before it
 * counts as failed and the next URL is tried. amqplib has no such deadline by default: a node
 * that accepts TCP but never answers (hung broker, load balancer without a backend, a network
 * that black-holes the new flow) would hold the attempt forever, and amqp-connection-manager
 * never tries another URL while one attempt is pending. It is an idle timeout on the socket,
 * cleared once the connection is open (heartbeats take over from there).
 */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * What amqplib is given for the socket of one connection.
 *
 * `noDelay`: amqplib leaves Nagle's algorithm on unless told otherwise, so a publish written
 * while an earlier segment is still unacknowledged waits in the kernel for that ACK — which
 * the broker may delay — and every HTTP request waiting on a confirm waits with it. The frames
 * of one message leave in a single write, so turning Nagle off costs no extra packets per
 * message.
 */
export function socketOptions(options: Pick<ResolvedRabbitMQOptions, 'urls' | 'tls'>, connectionName: string): Record<string, unknown> {
  const usesTls = options.urls.some((url) => url.startsWith('amqps://'));
  return {
    ...(usesTls ? tlsSocketOptions(options.tls) : {}),
    timeout: CONNECT_TIMEOUT_MS,
    noDelay: true,
    clientProperties: { connection_name: connectionName },
  };
}
