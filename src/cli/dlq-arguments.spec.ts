import { describe, expect, it } from '@jest/globals';
import { DlqUsageError, parseDlqArguments } from './dlq-arguments.js';

describe('parseDlqArguments', () => {
  it.each<[string[], unknown]>([
    [['list'], { command: 'list', queues: [] }],
    [['list', 'a', 'b.dlq'], { command: 'list', queues: ['a', 'b.dlq'] }],
    [['peek', 'q'], { command: 'peek', queue: 'q', limit: 10 }],
    [['peek', 'q', '--limit', '3'], { command: 'peek', queue: 'q', limit: 3 }],
    [['peek', '--limit=3', 'q'], { command: 'peek', queue: 'q', limit: 3 }],
    [['replay', 'q'], { command: 'replay', queue: 'q', force: false }],
    [['replay', 'q.dlq', '--limit', '100'], { command: 'replay', queue: 'q.dlq', limit: 100, force: false }],
    [['replay', 'q.dlq', '--force'], { command: 'replay', queue: 'q.dlq', force: true }],
    [['purge', 'q'], { command: 'purge', queue: 'q', yes: false, force: false }],
    [['purge', 'q', '--yes'], { command: 'purge', queue: 'q', yes: true, force: false }],
    [['purge', '-y', 'q'], { command: 'purge', queue: 'q', yes: true, force: false }],
    [['purge', 'q', '--yes', '--force'], { command: 'purge', queue: 'q', yes: true, force: true }],
    [['outbox'], { command: 'outbox', limit: 10 }],
    [['outbox', '--limit', '3'], { command: 'outbox', limit: 3 }],
    [['outbox-requeue', 'C9A1F1C2-5B0E-4F57-9D59-4D3C2F0E0A01'], { command: 'outbox-requeue', messageId: 'C9A1F1C2-5B0E-4F57-9D59-4D3C2F0E0A01' }],
    [['--help'], { command: 'help' }],
    [['peek', 'q', '-h'], { command: 'help' }],
  ])('%j', (argv, expected) => {
    expect(parseDlqArguments(argv)).toEqual(expected);
  });

  it.each<[string[], RegExp]>([
    [[], /missing command/],
    [['show', 'q'], /unknown command 'show'/],
    [['peek'], /'peek' takes exactly one queue, got 0/],
    [['replay', 'a', 'b'], /'replay' takes exactly one queue, got 2/],
    [['peek', 'q', '--limit'], /--limit needs a positive integer, got ''/],
    [['peek', 'q', '--limit', '0'], /positive integer, got '0'/],
    [['peek', 'q', '--limit', '2.5'], /positive integer, got '2.5'/],
    [['peek', 'q', '--limit', '-3'], /positive integer, got '-3'/],
    [['purge', 'q', '--limit', '5'], /'purge' takes no --limit/],
    [['list', '--limit', '5'], /'list' takes no --limit/],
    [['replay', 'q', '--yes'], /'replay' takes no --yes/],
    [['peek', 'q', '--force'], /'peek' takes no --force/],
    [['outbox', 'q'], /'outbox' takes no queue, got 1/],
    [['outbox-requeue'], /'outbox-requeue' takes one message id/],
    [['outbox-requeue', 'not-a-uuid'], /a UUID/],
    [['outbox-requeue', 'c9a1f1c2-5b0e-4f57-9d59-4d3c2f0e0a01', '--limit', '2'], /'outbox-requeue' takes no --limit/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseDlqArguments(argv)).toThrow(DlqUsageError);
    expect(() => parseDlqArguments(argv)).toThrow(message);
  });
});
