import { readFileSync } from 'node:fs';
import { INTEGER_BOUNDS, RABBITMQ_DEFAULTS } from '../rabbitmq/admin.js';
import { CONFIGURATION_TABLE_BEGIN, renderConfigurationTables, withConfigurationTables } from './configuration-table.js';
import { loadConfig, variableOf } from './load-config.js';
import { SETTING_TABLE } from './setting-table.js';

/** The value at a dotted path of an object, or undefined when the path is not there. */
function valueAt(object: object, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), object);
}

describe('SETTING_TABLE', () => {
  it('names every variable and every path once', () => {
    const variables = SETTING_TABLE.map((setting) => setting.env);
    const paths = SETTING_TABLE.map((setting) => setting.path);
    expect(new Set(variables).size).toBe(variables.length);
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('points every library row at an option the library has, and defaults none the library defaults', () => {
    // urls and serviceName have no library default, so the app gives one; TLS settings are all optional.
    const required = new Set(['urls', 'serviceName']);
    for (const setting of SETTING_TABLE.filter((row) => row.path.startsWith('rabbitmq.'))) {
      const path = setting.path.slice('rabbitmq.'.length);
      const [group, name] = [path.slice(0, Math.max(path.lastIndexOf('.'), 0)), path.slice(path.lastIndexOf('.') + 1)];
      const parent = group === '' ? RABBITMQ_DEFAULTS : valueAt(RABBITMQ_DEFAULTS, group);
      const known = required.has(path) || group === 'connection.tls' || (typeof parent === 'object' && parent !== null && name in parent);
      expect({ path, known }).toEqual({ path, known: true });
      expect({ path, appDefault: setting.default !== undefined }).toEqual({ path, appDefault: required.has(path) });
    }
  });

  it('names the variable, never the option path, when a library integer is out of its bounds', () => {
    const bounded = SETTING_TABLE.filter(
      (setting) => setting.path.startsWith('rabbitmq.') && setting.path.slice('rabbitmq.'.length) in INTEGER_BOUNDS,
    );
    expect(bounded.length).toBeGreaterThan(20);
    for (const setting of bounded) {
      const path = setting.path.slice('rabbitmq.'.length);
      const { min, max } = INTEGER_BOUNDS[path];
      for (const outside of [min - 1, ...(max === undefined ? [] : [max + 1])]) {
        let message: string | undefined;
        try {
          loadConfig({ [setting.env]: String(outside) });
        } catch (error) {
          message = (error as Error).message;
        }
        // MEMORY_HIGH_WATERMARK_BYTES=0 means "derived from the memory limit": the app's own meaning, not an error.
        const named =
          message === undefined ? setting.env === 'MEMORY_HIGH_WATERMARK_BYTES' : message.includes(setting.env) && !message.includes(path);
        expect({ env: setting.env, outside, named }).toEqual({ env: setting.env, outside, named: true });
      }
    }
    expect(valueAt(RABBITMQ_DEFAULTS, 'consume.retry.attempts')).toBe(5);
  });

  it('maps a library path to its variable, and a group to the variables under it', () => {
    expect(variableOf('consume.prefetch')).toBe('PREFETCH');
    expect(variableOf('consume.retry.delaysMs')).toBe('RETRY_DELAYS_MS');
    expect(variableOf('consume.retry')).toBe('RETRY_ATTEMPTS/RETRY_DELAYS_MS');
    expect(variableOf('connection.heartbeatSeconds')).toBe('connection.heartbeatSeconds');
  });
});

describe('README configuration table', () => {
  it('matches SETTING_TABLE (run `npm run docs:options` after changing it)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain(CONFIGURATION_TABLE_BEGIN);
    expect(withConfigurationTables(readme)).toBe(readme);
  });

  it('lists every variable once, with the library default of a library option', () => {
    const rendered = renderConfigurationTables();
    for (const { env } of SETTING_TABLE) {
      expect(rendered.split('\n').filter((line) => line.startsWith(`| \`${env}\` |`))).toHaveLength(1);
    }
    expect(rendered).toContain('| `PREFETCH` | `consume.prefetch` | `50` | 1–10000; 0 would mean unbounded |');
    expect(rendered).toContain('| `RETRY_DELAYS_MS` | `consume.retry.delaysMs` | `1000,5000,30000,120000,600000` |');
  });

  it('would catch a README that drifted from the table', () => {
    const readme = readFileSync('README.md', 'utf8');
    const drifted = readme.replace('| `PREFETCH` | `consume.prefetch` | `50` |', '| `PREFETCH` | `consume.prefetch` | `100` |');
    expect(drifted).not.toBe(readme);
    expect(withConfigurationTables(drifted)).not.toBe(drifted);
  });
});
