import { loadConfig } from './load-config.js';
import { MODULE_OPTION_TABLE } from '../rabbitmq/options/module-option-table.js';
import { resolveRabbitMQOptions } from '../rabbitmq/options/resolve-options.js';
import type { RabbitMQModuleOptions } from '../rabbitmq/options/rabbitmq-options.interface.js';

const REQUIRED: RabbitMQModuleOptions = { urls: ['amqp://guest:guest@127.0.0.1:5672'], serviceName: 'orders' };

function forRootMessage(option: string, value: number): string {
  try {
    resolveRabbitMQOptions({ ...REQUIRED, [option]: value });
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
}

function envMessage(variable: string, value: string): string {
  try {
    loadConfig({ [variable]: value });
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
}

describe('MODULE_OPTION_TABLE', () => {
  it('names every option and variable once', () => {
    const options = MODULE_OPTION_TABLE.map((row) => row.option);
    const variables = MODULE_OPTION_TABLE.map((row) => row.env);
    expect(new Set(options).size).toBe(options.length);
    expect(new Set(variables).size).toBe(variables.length);
  });

  it.each(MODULE_OPTION_TABLE.map((row) => [row.option, row] as const))('%s: forRoot and the environment take the same default', (option, row) => {
    expect((resolveRabbitMQOptions(REQUIRED) as unknown as Record<string, unknown>)[option]).toBe(row.default);
    expect((loadConfig({}).moduleOptions as Record<string, unknown>)[option]).toBe(row.default);
  });

  it.each(MODULE_OPTION_TABLE.map((row) => [row.option, row] as const))(
    '%s: forRoot and the environment refuse the same bounds with one message naming option and variable',
    (option, row) => {
      const max = 'max' in row ? row.max : Number.MAX_SAFE_INTEGER;
      const envMin = 'envMin' in row ? row.envMin : row.min;
      const prefix = `${option} (${row.env}) must be an integer from `;
      expect(forRootMessage(option, row.min - 1)).toMatch(new RegExp(`^${option} \\(${row.env}\\) must be an integer from ${row.min} to ${max}`));
      expect(envMessage(row.env, String(envMin - 1))).toContain(`${prefix}${envMin} to ${max}`);
      expect(forRootMessage(option, row.min)).not.toContain(prefix);
      if ('max' in row) {
        expect(forRootMessage(option, row.max + 1)).toContain(prefix);
        expect(envMessage(row.env, String(row.max + 1))).toContain(prefix);
      }
      expect(envMessage(row.env, '1.5')).toContain(`${prefix}${envMin} to ${max}`);
    },
  );
});
