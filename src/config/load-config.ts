// Deep imports, not the library's entries: those load Nest, which the dlq CLI reads this config without.
import { InvalidRabbitMQOptionsError, resolveRabbitMQOptions } from '../rabbitmq/admin.js';
import { AppConfig } from './app-config.js';
import { inconsistencies } from './config-consistency.js';
import { InvalidConfigError } from './invalid-config.error.js';
import { SETTING_TABLE } from './setting-table.js';

/**
 * Reads the environment once through SETTING_TABLE and returns the typed config. The library's
 * options are checked here by the library itself (resolveRabbitMQOptions), so a bad one stops
 * the process before Nest starts, named by its variable. Throws InvalidConfigError listing every
 * bad variable; the caller exits non-zero. `stdoutIsTty` decides `LOG_FORMAT=auto` (the default):
 * text for a person at a terminal, JSON for a log collector (a pod, a pipe, a file).
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  { stdoutIsTty = process.stdout.isTTY === true }: { stdoutIsTty?: boolean } = {},
): AppConfig {
  const config = Object.assign(new AppConfig(), { rabbitmq: {} });
  const problems: string[] = [];
  const failed = new Set<string>();
  for (const setting of SETTING_TABLE) {
    const given = env[setting.env];
    const text = given === undefined || given === '' ? setting.default : given;
    if (text === undefined) {
      continue; // the library's default
    }
    try {
      setAt(config, setting.path, setting.parser.parse(text, setting.env));
    } catch (error) {
      problems.push((error as Error).message);
      failed.add(setting.env);
    }
  }
  try {
    resolveRabbitMQOptions(config.rabbitmq);
  } catch (error) {
    if (!(error instanceof InvalidRabbitMQOptionsError)) {
      throw error;
    }
    // A variable that did not parse is absent from the options: already named above.
    const named = error.problems.filter((problem) => !failed.has(variableOf(problem.path)));
    problems.push(...(error.problems.length === 0 ? [error.message] : named.map((problem) => problem.describe(variableOf))));
  }
  if (problems.length === 0) {
    problems.push(...inconsistencies(config));
  }
  if (problems.length > 0) {
    throw new InvalidConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  if ((config.logFormat as string) === 'auto') {
    config.logFormat = stdoutIsTty ? 'text' : 'json';
  }
  return config;
}

/** The variable behind a library option's path: its row, or the rows of the group it heads (`connection.tls` → AMQP_TLS_…). */
export function variableOf(optionPath: string): string {
  const path = `rabbitmq.${optionPath}`;
  const exact = SETTING_TABLE.find((setting) => setting.path === path);
  const group = SETTING_TABLE.filter((setting) => setting.path.startsWith(`${path}.`));
  return exact?.env ?? (group.length > 0 ? group.map((setting) => setting.env).join('/') : optionPath);
}

/** Sets `target.a.b.c`, creating the objects on the way. */
function setAt(target: object, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  let node = target as Record<string, unknown>;
  for (const key of keys) {
    node = (node[key] ??= {}) as Record<string, unknown>;
  }
  if (value !== undefined) {
    node[last] = value;
  }
}
