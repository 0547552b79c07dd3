/**
 * `dlq peek` prints what producers wrote, so it must not let them drive the operator's terminal
 * (issue 21, point 5). Before: the `x-death` fields were printed raw — a clear-screen, a
 * window-title escape ended by BEL and a forged `x-error-type: AllGood` line reached the terminal.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BrokerProbe, SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { runDlqCli } from './support/dlq-cli.js';
import { waitFor } from './support/wait-for.js';

const CLEAR_SCREEN = '\u001b[2J\u001b[H';
const WINDOW_TITLE = '\u001b]0;all messages processed\u0007';
const FORGED_LINE = '\n  x-error-type: AllGood';
/** Bidi controls (RLO, LRM, RLM, isolates) and line separators (LS, PS, NEL). */
const REORDERING = '\u202e\u200e\u200f\u2066\u2069\u2028\u2029\u0085';
/** What must never reach the terminal raw: C0/C1 controls but the layout's own '\n', DEL, bidi, separators. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('dlq peek escapes every field it prints', () => {
  const names = uniqueNames('dlq-peek-terminal');
  const queue = `t-peek-${randomUUID()}`;
  const dlq = `${queue}.dlq`;
  const env = { AMQP_URL: SHARED_AMQP_URL, SERVICE_NAME: names.serviceName, EVENTS_EXCHANGE: names.exchange };
  let broker: BrokerProbe;

  beforeAll(async () => {
    broker = await BrokerProbe.open();
    await broker.channel.assertQueue(dlq, { durable: false });
    const hostile = `${CLEAR_SCREEN}${WINDOW_TITLE}${REORDERING}`;
    broker.publish('', dlq, `{"note":"${REORDERING}"}${CLEAR_SCREEN}`, {
      messageId: `m-1${WINDOW_TITLE}`,
      headers: {
        'x-error-type': `ValidationError${FORGED_LINE}`,
        'x-error-message': hostile,
        'x-death': [
          {
            queue: `${queue}${CLEAR_SCREEN}${WINDOW_TITLE}${FORGED_LINE}`,
            reason: `rejected${REORDERING}`,
            count: 1,
            exchange: '',
            'routing-keys': [queue],
          },
        ],
      },
    });
    await waitFor('the hostile message to be parked', async () => (await broker.ready(dlq)) === 1);
  });

  afterAll(async () => {
    await broker?.remove({ queues: [dlq] });
    await broker?.close();
  });

  it('shows no terminal control, bidi control or line separator raw, and no forged header line', async () => {
    const result = await runDlqCli(['peek', dlq], env);
    expect(result.code).toBe(0);
    // Everything is still there to read, escaped.
    expect(result.stdout).toContain('\\u001b[2J');
    expect(result.stdout).toContain('\\u001b]0;all messages processed\\u0007');
    expect(result.stdout).toContain('\\u202e');
    expect(result.stdout).toContain('\\u200f');
    expect(result.stdout).toMatch(/ {2}x-death: 1× rejected\\u202e.* in t-peek-/);
    // Nothing raw: no ESC, no BEL, no reordering character, and exactly one x-error-type line.
    expect(result.stdout + result.stderr).not.toMatch(RAW_CONTROL);
    expect(result.stdout.split('\n').filter((line) => /^\s*x-error-type:/.test(line))).toEqual([
      '  x-error-type: ValidationError\\n  x-error-type: AllGood',
    ]);
    expect(await broker.ready(dlq)).toBe(1);
  });
});
