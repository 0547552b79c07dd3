import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { runWithCorrelationId } from '../rabbitmq/admin.js';
import { AppLogger } from './app-logger.js';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
const FORGED_ID = 'id\r\n[Nest] 1  - FORGED\u001b[31m';

/** Everything the logger writes to stdout and stderr, as one string. */
function captureOutput(): { text: () => string; restore: () => void } {
  let output = '';
  const write = (chunk: string | Uint8Array) => {
    output += chunk.toString();
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(write);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(write);
  return {
    text: () => output,
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

describe.each(['json', 'text'] as const)('AppLogger (%s)', (format) => {
  // Colours are escapes too: off here, as in the e2e tests, so any escape found is a leak.
  const noColor = process.env.NO_COLOR;
  beforeAll(() => {
    process.env.NO_COLOR = '1';
  });
  afterAll(() => {
    if (noColor === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = noColor;
  });
  /** What a reader of the log sees: the message field of a JSON record, or the text line. */
  const shown = (line: string): string => (format === 'json' ? (JSON.parse(line) as { message: string }).message : line);
  let capture: ReturnType<typeof captureOutput>;
  let logger: AppLogger;
  beforeEach(() => {
    capture = captureOutput();
    logger = new AppLogger({ format });
    logger.setLogLevels(['log', 'warn', 'error']);
  });
  afterEach(() => capture.restore());

  it('writes producer-controlled text escaped, one record per line', () => {
    logger.warn(`dead-lettering message ${FORGED_ID} of q`, 'QueueConsumer');
    logger.error(new Error(`bad routing key ${FORGED_ID}`));
    logger.log({ header: FORGED_ID }, 'Ctx');
    const output = capture.text();
    expect(output).not.toMatch(RAW_CONTROL);
    expect(shown(output.split('\n')[0])).toContain('FORGED\\u001b[31m of q');
    expect(output.split('\n').some((line) => line.startsWith('[Nest] 1  - FORGED'))).toBe(false);
  });

  it('masks AMQP passwords in messages, stacks, error objects and nested objects', () => {
    const url = `amqp://u:pa'ss"w@rd@h:5672`;
    logger.error(`could not reach ${url}`, `Error: refused ${url}\n    at connect (/app/x.js:1:2)`, 'Ctx');
    logger.error(new Error(`refused ${url}`, { cause: new Error(`inner ${url}`) }));
    logger.warn({ config: { urls: [url] } }, 'Ctx');
    const output = capture.text();
    expect(output).not.toContain('rd@h');
    expect(output).not.toContain("pa'ss");
    expect(output).toContain('amqp://u:***@h:5672');
  });

  it('limits repeated warnings of one reason and counts the rest', () => {
    const limited = new AppLogger({ format, repeatedWarnings: { intervalMs: 60_000 } });
    limited.setLogLevels(['warn']);
    for (let i = 0; i < 50; i++) limited.warn(`PublisherBlockedError: blocked (${i})`, 'PublishErrorFilter');
    limited.warn('another reason', 'PublishErrorFilter');
    limited.flushRepeatedWarnings();
    const lines = capture
      .text()
      .split('\n')
      .filter((line) => line.includes('PublisherBlockedError'));
    expect(lines).toHaveLength(2);
    // Quotes are escaped in JSON.
    expect(lines[1]).toMatch(
      /held back 49 more like \\?"PublisherBlockedError: blocked \(0\)\\?" in the last 1 s; the last: PublisherBlockedError: blocked \(49\)/,
    );
    expect(capture.text()).toContain('another reason');
  });

  it('never holds back connection state changes (paced by the reconnect backoff, and their times matter)', () => {
    for (let round = 1; round <= 5; round++) logger.warn(`warren-consumer disconnected: CONNECTION_FORCED round ${round}`, 'RabbitConnections');
    expect(
      capture
        .text()
        .split('\n')
        .filter((line) => line.includes('CONNECTION_FORCED')),
    ).toHaveLength(5);
  });

  it('is what Nest Logger instances write through', () => {
    Logger.overrideLogger(logger);
    try {
      new Logger('Ctx').warn(`via Logger ${FORGED_ID}`);
    } finally {
      Logger.overrideLogger(false);
      Logger.overrideLogger(true);
    }
    expect(shown(capture.text().trim())).toContain('via Logger id\\r\\n[Nest]');
  });
});

describe('AppLogger exit hook', () => {
  it('writes the pending repeated-warning counts when the process exits', () => {
    const before = process.listeners('exit');
    const capture = captureOutput();
    try {
      const logger = new AppLogger({ format: 'json', flushOnExit: true });
      const hook = process.listeners('exit').find((listener) => !before.includes(listener))!;
      logger.warn('blocked (1)', 'Ctx');
      logger.warn('blocked (2)', 'Ctx');
      logger.warn('blocked (3)', 'Ctx');
      process.removeListener('exit', hook);
      hook(0);
    } finally {
      capture.restore();
    }
    const messages = capture
      .text()
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { message: string }).message);
    expect(messages).toEqual(['blocked (1)', 'held back 2 more like "blocked (1)" in the last 1 s; the last: blocked (3)']);
  });
});

describe('AppLogger (json)', () => {
  it('adds the current correlation id to each record', () => {
    const capture = captureOutput();
    try {
      runWithCorrelationId('req-7', () => new AppLogger({ format: 'json' }).log('hello', 'Ctx'));
    } finally {
      capture.restore();
    }
    expect(JSON.parse(capture.text())).toMatchObject({ message: 'hello', context: 'Ctx', correlationId: 'req-7' });
  });
});
