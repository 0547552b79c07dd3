import { describe, expect, it } from '@jest/globals';
import { isSafeCorrelationId } from './correlation-id.js';

describe('isSafeCorrelationId', () => {
  it('accepts short plain ids (UUIDs, request ids with dots, colons, dashes)', () => {
    for (const id of ['req-log-42', '3f1c2a9e-6f1b-4c1e-9a8e-1d2c3b4a5f60', 'a.b:c_d', 'x'.repeat(128)]) {
      expect(isSafeCorrelationId(id)).toBe(true);
    }
  });

  it('refuses CR/LF, escapes, spaces, empty, over 128 characters and non-strings', () => {
    for (const id of ['a\r\nb', 'a\u001b[31m', 'a b', '', 'x'.repeat(129), `${'c'.repeat(245)}\r\n`, undefined, 42, { id: 'a' }]) {
      expect(isSafeCorrelationId(id)).toBe(false);
    }
  });
});
