import { describe, expect, it } from '@jest/globals';
import { resolveDeadLetterTarget } from './dead-letter-names.js';

describe('resolveDeadLetterTarget', () => {
  it('accepts a handler queue name', () => {
    expect(resolveDeadLetterTarget('shop.orders.audit')).toEqual({ queue: 'shop.orders.audit', dlq: 'shop.orders.audit.dlq' });
  });

  it('accepts the DLQ name itself', () => {
    expect(resolveDeadLetterTarget('shop.orders.audit.dlq')).toEqual({ queue: 'shop.orders.audit', dlq: 'shop.orders.audit.dlq' });
  });

  it('trims what an operator pasted, and does not take a bare ".dlq" for a suffix', () => {
    expect(resolveDeadLetterTarget(' q.dlq ')).toEqual({ queue: 'q', dlq: 'q.dlq' });
    expect(resolveDeadLetterTarget('.dlq')).toEqual({ queue: '.dlq', dlq: '.dlq.dlq' });
  });
});
