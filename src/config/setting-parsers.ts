import { MAX_TIMER_MS } from '../rabbitmq/admin.js';
import { amqpUrlListProblems, splitAmqpUrlList } from './amqp-url.js';

/**
 * Turns the text of one environment variable into the value the app or the library takes. It
 * checks the type, and bounds only the library does not hold (the app's own settings, or a
 * higher floor for the deployed service); a failure throws an Error whose message names the variable.
 */
export interface SettingParser {
  parse(text: string, variable: string): unknown;
  /** The accepted range, for the README ("1–65535"), when the parser bounds it. */
  readonly range?: string;
}

/** An integer, optionally bounded; `minWhy` / `maxWhy` end the message of a bound, e.g. " (0 = any free port)". */
export function integer({
  min,
  max,
  minWhy = '',
  maxWhy = '',
}: { min?: number; max?: number; minWhy?: string; maxWhy?: string } = {}): SettingParser {
  if (max === MAX_TIMER_MS) {
    maxWhy = ' (about 24.8 days, the longest timer Node.js accepts)';
  }
  return {
    range: min === undefined ? undefined : max === undefined ? `≥ ${min}` : `${min}–${max}${max === MAX_TIMER_MS ? ' (~24.8 days)' : ''}`,
    parse(text, variable) {
      const value = /^-?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
      if (!Number.isSafeInteger(value)) {
        throw new Error(`${variable} must be an integer`);
      }
      if (min !== undefined && value < min) {
        throw new Error(`${variable} must be at least ${min}${minWhy}`);
      }
      if (max !== undefined && value > max) {
        throw new Error(`${variable} must be at most ${max}${maxWhy}`);
      }
      return value;
    },
  };
}

/** The text as it is: the library checks what it must be (a name, one of a few words). */
export const text: SettingParser = { parse: (value) => value };

/** One of a few words, for the app's own settings. */
export function oneOf(words: readonly string[]): SettingParser {
  return {
    parse(value, variable) {
      if (!words.includes(value)) {
        throw new Error(
          `${variable} must be ${words
            .map((word) => `'${word}'`)
            .join(', ')
            .replace(/, ([^,]*)$/, ' or $1')}`,
        );
      }
      return value;
    },
  };
}

/** `true` or `false`. */
export const boolean: SettingParser = {
  parse(value, variable) {
    if (value !== 'true' && value !== 'false') {
      throw new Error(`${variable} must be 'true' or 'false'`);
    }
    return value === 'true';
  },
};

/** Comma-separated integers, e.g. `1000,5000,30000` (the library bounds each). */
export const integerList: SettingParser = {
  parse(value, variable) {
    if (!/^\d+(\s*,\s*\d+)*$/.test(value)) {
      throw new Error(`${variable} must be comma-separated integers, e.g. 1000,5000,30000`);
    }
    return value.split(',').map((item) => Number(item.trim()));
  },
};

/** Comma-separated broker URLs, each usable; messages never show a URL. */
export const amqpUrls: SettingParser = {
  parse(value) {
    const problems = amqpUrlListProblems(value);
    if (problems.length > 0) {
      throw new Error(problems.join('; '));
    }
    return splitAmqpUrlList(value);
  },
};
