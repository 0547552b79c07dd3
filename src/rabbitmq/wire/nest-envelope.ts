/** A decoded message: the pattern it claims (Nest clients only) and the handler's payload. */
export interface Envelope {
  /** Pattern carried in the body by Nest's `ClientRMQ` (`{pattern, data}`); absent for plain JSON. */
  pattern?: string;
  data: unknown;
}

const NEST_KEYS = new Set(['pattern', 'data', 'id']);

/**
 * Accepts both wire shapes: plain JSON from any AMQP client (the body is the payload) and the
 * `{pattern, data}` body of Nest's built-in RMQ client, so teams can migrate one side at a time.
 */
export function readEnvelope(body: unknown): Envelope {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    const keys = Object.keys(record);
    if (typeof record.pattern === 'string' && 'data' in record && keys.every((key) => NEST_KEYS.has(key))) {
      return { pattern: record.pattern, data: record.data };
    }
  }
  return { data: body };
}
