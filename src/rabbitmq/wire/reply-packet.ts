import type { FailureDescription } from '../failure/failure-description.js';

/**
 * Wire format of request/reply, Nest's own (ServerRMQ / ClientRMQ), so either side may be Nest:
 * - request: JSON `{ pattern, data, id }`, AMQP `correlationId` = id, `replyTo` = where to answer;
 * - reply: JSON `{ id, response, err, isDisposed: true }` with the request's `correlationId`.
 * Both are JSON whatever the module's codec: a reply must be readable by any Nest client.
 */
export interface ReplyPacket {
  id?: string;
  response?: unknown;
  /** Set when the handler failed: `{ type, message }` from warren, a string from Nest's ServerRMQ. */
  err?: FailureDescription | string | null;
  isDisposed?: boolean;
}

export function encodeRequest(pattern: string, data: unknown, id: string): Buffer {
  return Buffer.from(JSON.stringify({ pattern, data, id }));
}

export function encodeReply(id: string | undefined, outcome: { response: unknown } | { err: FailureDescription }): Buffer {
  return Buffer.from(JSON.stringify({ id, ...outcome, isDisposed: true }));
}

/**
 * Reads a decoded reply body (decoding, with its size and depth bounds, is the caller's: see
 * replyOutcome); anything that is not an object is reported as a malformed reply.
 */
export function readReply(packet: unknown): { response: unknown } | { err: FailureDescription } {
  if (typeof packet !== 'object' || packet === null || Array.isArray(packet)) {
    return { err: { type: 'MalformedReply', message: 'the reply is not a JSON object' } };
  }
  const { err, response } = packet as ReplyPacket;
  if (err !== undefined && err !== null) {
    return { err: typeof err === 'string' ? { type: 'RemoteError', message: err } : describeRemote(err) };
  }
  return { response };
}

function describeRemote(err: unknown): FailureDescription {
  const { type, message } = (typeof err === 'object' && err !== null ? err : {}) as Partial<Record<string, unknown>>;
  return {
    type: typeof type === 'string' ? type : 'RemoteError',
    // Already decoded within the depth bound: stringifying it again cannot overflow the stack.
    message: typeof message === 'string' ? message : String(JSON.stringify(err)),
  };
}
