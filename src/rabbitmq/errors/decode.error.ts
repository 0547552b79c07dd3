/** A message body that cannot be turned into a payload. Never retried: it will never decode. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}
