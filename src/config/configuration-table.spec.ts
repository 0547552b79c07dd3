import { readFileSync } from 'node:fs';
import { MODULE_OPTION_TABLE } from '../rabbitmq/options/module-option-table.js';
import { APP_SETTING_TABLE } from './app-setting-table.js';
import { CONFIGURATION_TABLE_BEGIN, renderConfigurationTables, withConfigurationTables } from './configuration-table.js';

describe('README configuration tables', () => {
  it('match the option tables (run `npm run docs:options` after changing one)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain(CONFIGURATION_TABLE_BEGIN);
    expect(withConfigurationTables(readme)).toBe(readme);
  });

  it('list every variable of both tables once', () => {
    const rendered = renderConfigurationTables();
    for (const { env } of [...MODULE_OPTION_TABLE, ...APP_SETTING_TABLE]) {
      expect(rendered.split('\n').filter((line) => line.startsWith(`| \`${env}\` |`))).toHaveLength(1);
    }
  });

  it('would catch a README that drifted from the tables', () => {
    const readme = readFileSync('README.md', 'utf8');
    const drifted = readme.replace('| `PREFETCH` | `prefetch` | `50` |', '| `PREFETCH` | `prefetch` | `100` |');
    expect(drifted).not.toBe(readme);
    expect(withConfigurationTables(drifted)).not.toBe(drifted);
  });
});
