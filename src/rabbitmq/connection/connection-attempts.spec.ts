import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { TopologyConflictError } from '../errors/topology-conflict.error.js';
import { ConnectionAttempts } from './connection-attempts.js';
import { ReconnectBackoff } from './reconnect-backoff.js';

const conflict = () => new TopologyConflictError({ kind: 'exchange', name: 'ex', argument: 'type', declared: "'topic'", existing: "'direct'" });

function setup() {
  const onStable = jest.fn();
  // random() = 1 shows the ceiling as the delay.
  const attempts = new ConnectionAttempts(new ReconnectBackoff(50, 800, () => 1), 10_000, onStable);
  return { attempts, onStable };
}

describe('ConnectionAttempts', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('keeps growing the backoff when each connection opens and then fails in setup (no reset on the TCP connect)', () => {
    const { attempts } = setup();
    const delays = [];
    for (let i = 0; i < 6; i++) {
      attempts.opened();
      expect(attempts.conflicted(conflict())).toBe(true);
      expect(attempts.conflicted(conflict())).toBe(false); // one close per attempt
      attempts.ready(); // a channel that did set up must not reset it while a conflict stands
      const closed = attempts.closed(undefined);
      expect(closed.conflict?.summary).toBe("topology conflict on exchange 'ex' (argument 'type')");
      delays.push(closed.delayMs);
    }
    expect(delays).toEqual([50, 100, 200, 400, 800, 800]);
  });

  it('reads a conflict escalated to the connection by amqplib', () => {
    const { attempts } = setup();
    attempts.opened();
    const error = Object.assign(
      new Error(
        `Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'ex' in vhost '/': received 'topic' but current is 'direct'"`,
      ),
      { code: 406 },
    );
    expect(attempts.closed(error).conflict?.conflict.name).toBe('ex');
    attempts.opened();
    expect(attempts.closed(new Error('CONNECTION_FORCED')).conflict).toBeUndefined();
  });

  it('starts over once the connection is ready', () => {
    const { attempts } = setup();
    attempts.failed();
    attempts.failed();
    attempts.opened();
    attempts.ready();
    expect(attempts.closed(new Error('CONNECTION_FORCED')).delayMs).toBe(50);
  });

  it('starts over after the connection stayed up a while, and says so', () => {
    jest.useFakeTimers();
    const { attempts, onStable } = setup();
    attempts.failed();
    attempts.failed();
    attempts.failed();
    attempts.opened();
    jest.advanceTimersByTime(9_999);
    expect(onStable).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(onStable).toHaveBeenCalledTimes(1);
    expect(attempts.closed(undefined).delayMs).toBe(50);
  });

  it('ignores ready() while no connection is open', () => {
    const { attempts } = setup();
    attempts.failed();
    attempts.ready();
    expect(attempts.failed().delayMs).toBe(100);
  });
});
