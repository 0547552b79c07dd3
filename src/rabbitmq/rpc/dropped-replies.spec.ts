import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { DroppedReplies, type ReplyDropReason } from './dropped-replies.js';

describe('DroppedReplies: every drop counted, one line per reason and queue per interval', () => {
  let lines: string[];
  let counted: ReplyDropReason[];
  let dropped: DroppedReplies;

  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    lines = [];
    counted = [];
    dropped = new DroppedReplies({ warn: (line: string) => lines.push(line) }, (reason) => counted.push(reason), 10_000);
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('1,000 hostile requests write one line per reason and queue, and count all', () => {
    for (let i = 0; i < 1_000; i++) {
      dropped.record('invalid_address', 'shop.rpc.stock');
    }
    dropped.record('refused', 'shop.rpc.stock');
    dropped.record('invalid_address', 'shop.rpc.price');
    expect(counted).toHaveLength(1_002);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('a reply to a request on shop.rpc.stock was dropped: its replyTo is neither a direct reply-to address');
    expect(lines[0]).toContain('warren_replies_dropped_total{reason="invalid_address"}');
  });

  it('the next interval writes one line again, with the count held back', () => {
    for (let i = 0; i < 5; i++) {
      dropped.record('not_sent', 'shop.rpc.stock');
    }
    jest.setSystemTime(10_000);
    dropped.record('not_sent', 'shop.rpc.stock');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('(4 more since the last report)');
  });
});
