/** Header values arrive as strings, or as Buffers when a client sent a byte array. */
export function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value;
  }
  if (Buffer.isBuffer(value)) {
    return value.toString('utf8');
  }
  return undefined;
}
