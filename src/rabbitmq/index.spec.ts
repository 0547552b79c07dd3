import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import * as rootEntry from './index.js';

/**
 * The root entry is what a feature team uses; everything else belongs in `admin.ts`. This list is the contract:
 * adding a name to index.ts without adding it here (a deliberate, reviewed choice) fails this spec.
 */
const ROOT_VALUES = [
  'HandlerTimeoutError',
  'MessageTooLargeError',
  'WarrenError',
  'NonRetryableError',
  'DependencyUnavailableError',
  'HandleEvent',
  'HandleRequest',
  'Inbox',
  'Outbox',
  'OutboxFullError',
  'OutboxUnavailableError',
  'Publishes',
  'Replies',
  'RequestTimeoutError',
  'RemoteHandlerError',
  'PublishBufferFullError',
  'PublishError',
  'PublishOutcomeUnknownError',
  'PublishRejectedError',
  'PublishStalledError',
  'PublishTimeoutError',
  'PublishTopologyConflictError',
  'PublisherBlockedError',
  'PublisherClosedError',
  'RabbitClient',
  'RabbitContext',
  'RabbitMQModule',
  'Retry',
];
const ROOT_TYPES = [
  'CodecName',
  'MessageCodec',
  'OutboxPublishOptions',
  'SqlExecutor',
  'HandleEventOptions',
  'HandlerQueueArguments',
  'PublishOptions',
  'PublishReceipt',
  'QueueType',
  'RabbitMQModuleOptions',
  'RetryPolicy',
];
// 36 until the event catalogue's Publishes and Replies and the outbox's OutboxUnavailableError joined.
const MAX_ROOT_NAMES = 40;

/** Every name index.ts exports, values and types, read from its source (types vanish at runtime). */
function exportedNames(source: string): string[] {
  const names: string[] = [];
  for (const match of source.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)) {
    for (const item of match[1].split(',')) {
      const name = item
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop();
      if (name) names.push(name);
    }
  }
  return names;
}

describe('root entry (src/rabbitmq/index.ts)', () => {
  const source = readFileSync(fileURLToPath(new URL('./index.ts', import.meta.url)), 'utf8');

  it('exports exactly the stated feature-team names, values and types', () => {
    expect(exportedNames(source).sort()).toEqual([...ROOT_VALUES, ...ROOT_TYPES].sort());
  });

  it('exports exactly the stated values at runtime', () => {
    expect(Object.keys(rootEntry).sort()).toEqual([...ROOT_VALUES].sort());
  });

  it('has no wildcard re-export that could grow it silently', () => {
    expect(source).not.toMatch(/^export\s+\*/m);
  });

  it(`stays at most ${MAX_ROOT_NAMES} names`, () => {
    expect(exportedNames(source).length).toBeLessThanOrEqual(MAX_ROOT_NAMES);
  });
});
