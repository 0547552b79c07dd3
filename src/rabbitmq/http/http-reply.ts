/**
 * What Express's `Response` and Fastify's `Reply` both have: the filters answer through these
 * three only, so they work on either HTTP adapter (the demo service runs Fastify, teams may run
 * Express). `send` with an object writes JSON on both.
 */
export interface HttpReply {
  status(code: number): HttpReply;
  header(name: string, value: string): unknown;
  send(body: unknown): unknown;
}

/** Answers `status` with the JSON `body`, and `headers` first. */
export function replyJson(response: HttpReply, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) {
    response.header(name, value);
  }
  response.status(status).send(body);
}
