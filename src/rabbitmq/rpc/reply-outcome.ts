import type { ConsumeMessage } from 'amqplib';
import type { MessageDecoder } from '../codec/message-decoder.js';
import { RemoteHandlerError } from '../errors/request.errors.js';
import { MAX_ERROR_MESSAGE_LENGTH, MAX_ERROR_TYPE_LENGTH } from '../rabbitmq.constants.js';
import { readReply } from '../wire/reply-packet.js';
import { safeText } from '../wire/safe-text.js';

/**
 * What the caller of `pattern` gets from a reply: the handler's value, or a RemoteHandlerError
 * with the remote type and message (a malformed reply is one too). A reply is whatever the
 * responder — any AMQP client — sent: it is decoded with the consume side's bounds (size,
 * nesting, UTF-8), and the remote type and message are cut and made safe (passwords masked,
 * control characters visible) before anything can log them or hand them to an HTTP client.
 */
export async function replyOutcome(
  pattern: string,
  message: Pick<ConsumeMessage, 'content' | 'properties'>,
  decoder: Pick<MessageDecoder, 'read'>,
): Promise<{ value: unknown } | { error: RemoteHandlerError }> {
  let decoded: unknown;
  try {
    decoded = await decoder.read(message as ConsumeMessage);
  } catch (error: unknown) {
    return {
      error: remoteError(pattern, 'MalformedReply', `the reply could not be read: ${error instanceof Error ? error.message : String(error)}`),
    };
  }
  const reply = readReply(decoded);
  if ('err' in reply) {
    return { error: remoteError(pattern, reply.err.type, reply.err.message) };
  }
  return { value: reply.response };
}

function remoteError(pattern: string, type: string, message: string): RemoteHandlerError {
  return new RemoteHandlerError(pattern, safeText(type, MAX_ERROR_TYPE_LENGTH), safeText(message, MAX_ERROR_MESSAGE_LENGTH));
}
