import { describe, expect, it } from '@jest/globals';
import { escapeControlCharacters, logText, MAX_LOG_TEXT_CHARS, sanitizeLogText, sanitizeLogValue, sanitizeStack } from './log-sanitizer.js';

/** Any raw control character, DEL, C1 control, line separator or bidi override. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('log sanitizer', () => {
  it('escapes newlines, ANSI escapes, C1 controls, separators and bidi overrides visibly', () => {
    expect(escapeControlCharacters('a\nb\r\tc\u001b[31md\u0007\u009b\u2028\u202e')).toBe('a\\nb\\r\\tc\\u001b[31md\\u0007\\u009b\\u2028\\u202e');
    expect(sanitizeLogText('message id\n[Nest] 1  - FORGED')).toBe('message id\\n[Nest] 1  - FORGED');
  });

  it('escapes every bidi control and line separator: marks, embeddings, overrides, isolates, NEL', () => {
    const unsafe = '\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029\u0085';
    const escaped = escapeControlCharacters(unsafe);
    expect(escaped).not.toMatch(RAW_CONTROL);
    expect(escaped).toBe([...unsafe].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''));
  });

  it('caps long text and says how much was cut', () => {
    const text = sanitizeLogText('x'.repeat(MAX_LOG_TEXT_CHARS + 50));
    expect(text).toBe(`${'x'.repeat(MAX_LOG_TEXT_CHARS)}… (50 more characters)`);
  });

  it('masks AMQP passwords holding any character before escaping and capping', () => {
    const text = sanitizeLogText(`connect to amqp://u:pa'ss"w@rd@h:5672 failed\n`);
    expect(text).toBe('connect to amqp://u:***@h:5672 failed\\n');
  });

  it('keeps stack frames on their own lines but escapes any other newline onto the line before', () => {
    const stack =
      'Error: bad amqp://u:secret@h\n[Nest] 1  - FORGED LINE\u001b[2J\n    at handler (/app/dist/x.js:1:2)\n    at run (node:internal:3:4)';
    const safe = sanitizeStack(stack);
    expect(safe.split('\n')).toEqual([
      'Error: bad amqp://u:***@h\\n[Nest] 1  - FORGED LINE\\u001b[2J',
      '    at handler (/app/dist/x.js:1:2)',
      '    at run (node:internal:3:4)',
    ]);
  });

  it('sanitises nested objects, error objects and their stacks; masks password-like keys', () => {
    const error = new Error('refused by amqp://u:secret@h');
    const value = sanitizeLogValue({
      level: 'warn',
      nested: { url: 'amqp://u:secret@h', deeper: [{ header: 'a\nb' }] },
      password: 'hunter2',
      'key\nforged': 1,
      error,
    }) as Record<string, unknown>;
    const text = JSON.stringify(value);
    expect(text).not.toContain(':secret@'); // not 'secret' alone: the stack's paths may hold it (a checkout in …/secrets/)
    expect(text).not.toContain('hunter2');
    expect(value.nested).toEqual({ url: 'amqp://u:***@h', deeper: [{ header: 'a\\nb' }] });
    expect(value['key\\nforged']).toBe(1);
    expect(value.password).toBe('***');
    expect(value.error).toMatchObject({ name: 'Error', message: 'refused by amqp://u:***@h', stack: expect.stringContaining('amqp://u:***@h') });
  });

  it('bounds depth, breadth and cycles, and never logs bytes', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 20; i++) deep = { deep };
    const value = sanitizeLogValue({ cyclic, deep, many: Array.from({ length: 500 }, (_, i) => i), bytes: Buffer.from('secret') });
    const text = JSON.stringify(value);
    expect(text).toContain('[Circular]');
    expect(text).toContain('[Object]');
    expect(text).toContain('… 400 more items');
    expect(text).toContain('[Buffer 6 bytes]');
  });

  it('renders any message as text without raw control characters (text format)', () => {
    const error = new Error('bad id\r\nFORGED', { cause: new Error('inner amqp://u:p@h\u001b[1m') });
    for (const message of ['a\nb', error, { id: 'x\u001b]0;title\u0007' }, ['a\nb']]) {
      const text = logText(message);
      expect(text).not.toMatch(RAW_CONTROL);
      for (const line of text.split('\n').slice(1)) {
        expect(line).toMatch(/^ {4}/); // only indented frames or the cause continue a message
      }
    }
    expect(logText(error)).not.toContain('amqp://u:p@h');
  });
});
