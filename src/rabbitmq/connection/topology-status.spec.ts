import { describe, expect, it, jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import { TopologyConflictError } from '../errors/topology-conflict.error.js';
import { TopologyStatus } from './topology-status.js';

function setup(noted = new Set<string>()) {
  const warn = jest.fn();
  const onConflict = jest.fn();
  return { warn, onConflict, status: new TopologyStatus({ warn } as unknown as Logger, noted, onConflict) };
}

describe('TopologyStatus', () => {
  it('holds a conflict until that object is declared, and hands each one to the connection', () => {
    const { status, onConflict } = setup();
    const conflict = new TopologyConflictError({ kind: 'exchange', name: 'ex', argument: 'type', declared: "'topic'", existing: "'direct'" });
    status.conflict(conflict);
    expect(onConflict).toHaveBeenCalledWith(conflict);
    expect(status.current).toBe(conflict);
    status.declared('queue', 'ex'); // another object of the same name changes nothing
    expect(status.current).toBe(conflict);
    status.declared('exchange', 'ex');
    expect(status.current).toBeUndefined();
  });

  it('forgets every conflict once the connection stayed up', () => {
    const { status } = setup();
    status.conflict(new TopologyConflictError({ kind: 'queue', name: 'q' }));
    status.clear();
    expect(status.current).toBeUndefined();
  });

  it('warns once per process about an older exchange or an unbounded queue, with how to migrate', () => {
    const noted = new Set<string>();
    const publisher = setup(noted);
    const consumer = setup(noted);
    publisher.status.legacyExchange('warren.events');
    consumer.status.legacyExchange('warren.events');
    publisher.status.unboundedQueue('a.dlq', 'x-max-length', { 'x-max-length': 5 });
    publisher.status.unboundedQueue('a.dlq', 'x-max-length', { 'x-max-length': 5 });
    expect(publisher.warn).toHaveBeenCalledTimes(2);
    expect(consumer.warn).not.toHaveBeenCalled();
    expect(publisher.warn.mock.calls[0][0]).toContain('rabbitmqadmin delete exchange name=warren.events');
    expect(publisher.warn.mock.calls[1][0]).toContain('rabbitmqctl delete_queue a.dlq');
  });
});
