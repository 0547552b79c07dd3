import { describe, expect, it } from '@jest/globals';
import { AppModule } from '../app.module.js';
import { InvalidConfigError } from './invalid-config.error.js';
import { assertLibraryOptions, toVariableMessage } from './library-options.check.js';
import { loadConfig } from './load-config.js';

describe('assertLibraryOptions', () => {
  it('passes the options the app builds from a valid environment', () => {
    expect(() => assertLibraryOptions(AppModule.register(loadConfig({})))).not.toThrow();
  });

  it("names the environment variable behind a library option's error, in one line", () => {
    // RETRY_DELAYS_MS passes the environment's own pattern; the library's retry policy refuses 0.
    const config = loadConfig({ RETRY_DELAYS_MS: '0' });
    let thrown: unknown;
    try {
      assertLibraryOptions(AppModule.register(config));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidConfigError);
    expect((thrown as Error).message).toBe('invalid configuration: RETRY_DELAYS_MS entries must be integers from 1 to 86400000 ms, got 0');
  });

  it.each([
    // A MODULE_OPTION_TABLE option's message names its variable already: left as it is.
    [
      'handlerTimeoutMs (HANDLER_TIMEOUT_MS) must be an integer from 1 to 2147483647, got 99999999999',
      'handlerTimeoutMs (HANDLER_TIMEOUT_MS) must be an integer from 1 to 2147483647, got 99999999999',
    ],
    ["queueType must be 'quorum' or 'classic', got 'x'", "QUEUE_TYPE must be 'quorum' or 'classic', got 'x'"],
    ['retry.attempts must be an integer from 0 to 100, got 101', 'RETRY_ATTEMPTS must be an integer from 0 to 100, got 101'],
    [
      'memoryHighWatermarkBytes (1) must be above memoryLowWatermarkBytes (0)',
      'MEMORY_HIGH_WATERMARK_BYTES (1) must be above memoryLowWatermarkBytes (0)',
    ],
    ['urls must start with amqp:// or amqps://', 'AMQP_URL must start with amqp:// or amqps://'],
    ['something else entirely', 'something else entirely'],
  ])('maps %p', (message, expected) => {
    expect(toVariableMessage(message)).toBe(expected);
  });
});
