import { describe, expect, it } from '@jest/globals';
import { TopologyConflictError } from './topology-conflict.error.js';

/** amqplib's error for a declare the broker refused (lib/channel.js convertCloseFrameToError). */
function amqpError(message: string, code = 406): Error {
  return Object.assign(new Error(`Operation failed: ExchangeDeclare; 406 (PRECONDITION-FAILED) with message "${message}"`), { code });
}

describe('TopologyConflictError.from', () => {
  it('names the exchange, the differing argument, both values and the fix', () => {
    const error = TopologyConflictError.from(
      amqpError("PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'shop.events' in vhost '/': received 'topic' but current is 'direct'"),
    );
    expect(error?.conflict).toEqual({ kind: 'exchange', name: 'shop.events', argument: 'type', declared: "'topic'", existing: "'direct'" });
    expect(error?.message).toBe(
      "topology conflict on exchange 'shop.events': its argument 'type' is 'direct' on the broker but warren declares 'topic'. " +
        'Fix: delete the exchange (rabbitmqadmin delete exchange name=shop.events, or the management UI; warren and producers re-declare it) ' +
        'or point EVENTS_EXCHANGE at another name',
    );
    expect(error?.summary).toBe("topology conflict on exchange 'shop.events' (argument 'type')");
  });

  it('reads a queue conflict with typed values', () => {
    const error = TopologyConflictError.from(
      amqpError(
        "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'shop.audit' in vhost 'prod': received the value 'quorum' of type 'longstr' but current is none",
      ),
    );
    expect(error?.conflict).toMatchObject({ kind: 'queue', name: 'shop.audit', argument: 'x-queue-type', existing: 'none' });
    expect(error?.message).toContain('rabbitmqctl delete_queue shop.audit');
  });

  it('recognises the alternate-exchange argument of older warren exchanges', () => {
    const error = TopologyConflictError.from(
      amqpError(
        "PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange 'warren.events' in vhost '/': received none but current is the value 'warren.events.unrouted' of type 'longstr'",
      ),
    );
    expect(error?.conflict.argument).toBe('alternate-exchange');
  });

  it('reads the same conflict from the connection-level close of an escalated channel error', () => {
    const error = TopologyConflictError.from(
      Object.assign(
        new Error(
          `Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg 'durable' for exchange 'e' in vhost '/': received 'true' but current is 'false'"`,
        ),
        { code: 406 },
      ),
    );
    expect(error?.conflict).toMatchObject({ kind: 'exchange', name: 'e', argument: 'durable', existing: "'false'" });
  });

  it('falls back to the object being declared when the broker names no argument', () => {
    const error = TopologyConflictError.from(amqpError('PRECONDITION_FAILED - something else'), { kind: 'queue', name: 'q' });
    expect(error?.conflict).toEqual({ kind: 'queue', name: 'q' });
    expect(error?.message).toContain('it exists with another type or other arguments than warren declares');
  });

  it('is not a conflict for other failures', () => {
    expect(TopologyConflictError.from(Object.assign(new Error('NOT_FOUND - no queue'), { code: 404 }))).toBeUndefined();
    expect(TopologyConflictError.from(new Error('Connection closing'))).toBeUndefined();
    expect(TopologyConflictError.from(undefined)).toBeUndefined();
  });
});
