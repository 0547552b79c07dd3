import { MODULE_OPTION_TABLE } from '../rabbitmq/options/module-option-table.js';
import { APP_SETTING_TABLE } from './app-setting-table.js';
import type { EnvironmentVariables } from './environment-variables.js';

/** Default of every environment variable, from the two tables (the README is generated from them too). */
export const CONFIG_DEFAULTS = Object.fromEntries([
  ...APP_SETTING_TABLE.map((row) => [row.env, row.default]),
  ...MODULE_OPTION_TABLE.map((row) => [row.env, String(row.default)]),
]) as Readonly<Record<keyof EnvironmentVariables, string>>;

/** Variables parsed as integers before validation. */
export const INTEGER_VARIABLES: ReadonlySet<keyof EnvironmentVariables> = new Set([
  ...APP_SETTING_TABLE.filter((row) => row.integer).map((row) => row.env),
  ...MODULE_OPTION_TABLE.map((row) => row.env),
] as Array<keyof EnvironmentVariables>);
