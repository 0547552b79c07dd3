import { RemoteHandlerError } from '../errors/request.errors.js';
import { readReply } from '../wire/reply-packet.js';

/**
 * What the caller of `pattern` gets from a reply body: the handler's value, or a
 * RemoteHandlerError with the remote type and message (a malformed reply is one too).
 */
export function replyOutcome(pattern: string, content: Buffer): { value: unknown } | { error: RemoteHandlerError } {
  const reply = readReply(content);
  if ('err' in reply) {
    return { error: new RemoteHandlerError(pattern, reply.err.type, reply.err.message) };
  }
  return { value: reply.response };
}
