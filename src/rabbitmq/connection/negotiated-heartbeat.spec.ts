import { describe, expect, it } from '@jest/globals';
import { negotiatedHeartbeatSeconds } from './negotiated-heartbeat.js';

describe('negotiatedHeartbeatSeconds', () => {
  it('asks for half: amqplib gives up 2-3 negotiated intervals after the broker froze, within 2 × heartbeatSeconds', () => {
    for (const heartbeatSeconds of [2, 3, 10, 15, 60]) {
      const negotiated = negotiatedHeartbeatSeconds(heartbeatSeconds);
      expect(3 * negotiated).toBeLessThanOrEqual(2 * heartbeatSeconds);
    }
    expect(negotiatedHeartbeatSeconds(10)).toBe(5);
  });

  it('never asks for 0, which would turn heartbeats off', () => {
    expect(negotiatedHeartbeatSeconds(1)).toBe(1);
  });
});
