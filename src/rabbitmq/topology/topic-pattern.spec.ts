import { describe, expect, it } from '@jest/globals';
import { fitsRoutingKey, topicMatches } from './topic-pattern.js';

describe('topicMatches', () => {
  it('matches an identical routing key and nothing else', () => {
    expect(topicMatches('order.created', 'order.created')).toBe(true);
    expect(topicMatches('order.created', 'order.updated')).toBe(false);
    expect(topicMatches('order.created', 'order')).toBe(false);
    expect(topicMatches('order.created', 'order.created.v2')).toBe(false);
    expect(topicMatches('order', 'order.created')).toBe(false);
  });

  it("matches exactly one word with '*'", () => {
    expect(topicMatches('order.*', 'order.created')).toBe(true);
    expect(topicMatches('*.created', 'user.created')).toBe(true);
    expect(topicMatches('order.*.eu', 'order.created.eu')).toBe(true);
    expect(topicMatches('order.*', 'order.created.eu')).toBe(false);
    expect(topicMatches('order.*', 'user.created')).toBe(false);
  });

  it("does not let '*' match zero words", () => {
    expect(topicMatches('order.*', 'order')).toBe(false);
    expect(topicMatches('*.order', 'order')).toBe(false);
    expect(topicMatches('a.*.b', 'a.b')).toBe(false);
  });

  it("matches zero or more words with '#'", () => {
    expect(topicMatches('order.#', 'order')).toBe(true);
    expect(topicMatches('order.#', 'order.created')).toBe(true);
    expect(topicMatches('order.#', 'order.created.eu.v2')).toBe(true);
    expect(topicMatches('order.#', 'user.created')).toBe(false);
    expect(topicMatches('#.created', 'created')).toBe(true);
    expect(topicMatches('#.created', 'order.item.created')).toBe(true);
    expect(topicMatches('#.created', 'order.created.eu')).toBe(false);
  });

  it("matches every key with '#' alone", () => {
    expect(topicMatches('#', 'order')).toBe(true);
    expect(topicMatches('#', 'order.created.eu')).toBe(true);
    expect(topicMatches('#', '')).toBe(true);
  });

  it("matches 'a.#.b' with zero, one or several words between", () => {
    expect(topicMatches('a.#.b', 'a.b')).toBe(true);
    expect(topicMatches('a.#.b', 'a.x.b')).toBe(true);
    expect(topicMatches('a.#.b', 'a.x.y.z.b')).toBe(true);
    expect(topicMatches('a.#.b', 'a.x.y')).toBe(false);
    expect(topicMatches('a.#.b', 'x.a.b')).toBe(false);
    expect(topicMatches('a.#.b', 'a.b.c')).toBe(false);
    expect(topicMatches('a.#.b', 'a')).toBe(false);
  });

  it("combines '#' and '*'", () => {
    expect(topicMatches('#.*', 'a')).toBe(true);
    expect(topicMatches('*.#.*', 'a')).toBe(false);
    expect(topicMatches('*.#.*', 'a.b')).toBe(true);
    expect(topicMatches('*.#.*', 'a.b.c.d')).toBe(true);
  });

  it('treats empty words as words that must match literally', () => {
    expect(topicMatches('', '')).toBe(true);
    expect(topicMatches('', 'a')).toBe(false);
    expect(topicMatches('a', '')).toBe(false);
    expect(topicMatches('a..b', 'a..b')).toBe(true);
    expect(topicMatches('a..b', 'a.b')).toBe(false);
    expect(topicMatches('a.*.b', 'a..b')).toBe(true);
    expect(topicMatches('order.#', 'order.')).toBe(true);
    expect(topicMatches('order.*', 'order.')).toBe(true);
    expect(topicMatches('order.created', 'order.created.')).toBe(false);
  });

  it('treats an empty routing key as zero words, as the broker does', () => {
    expect(topicMatches('*', '')).toBe(false);
    expect(topicMatches('#.*', '')).toBe(false);
    expect(topicMatches('#', '')).toBe(true);
  });

  it('is not confused by regex metacharacters in words', () => {
    expect(topicMatches('order+created', 'order+created')).toBe(true);
    expect(topicMatches('a$b', 'axb')).toBe(false);
    expect(topicMatches('order*', 'order-created')).toBe(false);
    expect(topicMatches('order#', 'order')).toBe(false);
  });
});

describe('topicMatches on hostile input', () => {
  it("matches '#.a.#.b' against a 20,001-word key in linear time, not by backtracking", () => {
    const key = Array.from({ length: 20_001 }, () => 'a').join('.');
    const started = performance.now();
    expect(topicMatches('#.a.#.b', key)).toBe(false);
    expect(topicMatches('#.a.#.a', key)).toBe(true);
    expect(topicMatches('#.#.#.#.#.b', key)).toBe(false);
    // The backtracking matcher took 1.1 s for the first one alone.
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('fitsRoutingKey', () => {
  it('accepts up to 255 UTF-8 bytes, as an AMQP short string', () => {
    expect(fitsRoutingKey('a'.repeat(255))).toBe(true);
    expect(fitsRoutingKey('a'.repeat(256))).toBe(false);
    expect(fitsRoutingKey('é'.repeat(127))).toBe(true); // 254 bytes
    expect(fitsRoutingKey('é'.repeat(128))).toBe(false); // 256 bytes
  });
});
