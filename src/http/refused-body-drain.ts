import type { IncomingMessage } from 'node:http';

/**
 * Most bytes of a refused body read after the 413 before the connection is cut: a client still
 * sending past this after being told 413 is not a careless one. Draining costs a read and a drop
 * per chunk; HTTP_REQUEST_TIMEOUT_MS bounds how long it may take.
 */
export const REFUSED_BODY_DRAIN_BYTES = 32 * 1024 * 1024;

/**
 * Reads and drops the rest of a body that was refused before it was read (413), so that the
 * client can finish sending and read the answer. Fastify answers such a body at once and closes
 * the connection: the client is still writing, the closed socket resets it, and a Node `fetch`
 * or `http.request` client sees EPIPE instead of the 413 (curl stops sending and saw the 413).
 * Node's own HTTP server drains an unread body the same way and keeps the connection.
 * Call it before the answer is sent; it drops the `connection: close` the refusal set.
 */
export function drainRefusedBody(request: IncomingMessage, removeConnectionClose: () => void): void {
  if (request.complete) {
    return;
  }
  removeConnectionClose();
  let drained = 0;
  request.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > REFUSED_BODY_DRAIN_BYTES) {
      request.socket.destroy();
    }
  });
  request.resume();
}
