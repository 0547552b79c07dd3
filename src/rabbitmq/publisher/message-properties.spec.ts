import { describe, expect, it } from '@jest/globals';
import { buildMessageProperties } from './message-properties.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const BASE = { pattern: 'order.created', contentType: 'application/json', appId: 'orders' };

describe('buildMessageProperties', () => {
  it('marks every event persistent, typed by pattern, with content type and app id', () => {
    const properties = buildMessageProperties(BASE);
    expect(properties.persistent).toBe(true);
    expect(properties.type).toBe('order.created');
    expect(properties.contentType).toBe('application/json');
    expect(properties.appId).toBe('orders');
  });

  it('sets content-encoding only for a compressed body', () => {
    expect(buildMessageProperties(BASE)).not.toHaveProperty('contentEncoding');
    expect(buildMessageProperties({ ...BASE, contentEncoding: 'gzip' }).contentEncoding).toBe('gzip');
  });

  it('gives each event a new UUID messageId unless one is given', () => {
    const first = buildMessageProperties(BASE);
    const second = buildMessageProperties(BASE);
    expect(first.messageId).toMatch(UUID);
    expect(second.messageId).toMatch(UUID);
    expect(first.messageId).not.toBe(second.messageId);
    expect(buildMessageProperties({ ...BASE, options: { messageId: 'evt-42' } }).messageId).toBe('evt-42');
  });

  it('stamps the time in whole seconds (AMQP timestamp)', () => {
    const before = Math.floor(Date.now() / 1000);
    const { timestamp } = buildMessageProperties(BASE);
    const after = Math.floor(Date.now() / 1000);
    expect(Number.isInteger(timestamp)).toBe(true);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(after);
  });

  it('prefers an explicit correlationId option over the ambient one', () => {
    expect(buildMessageProperties({ ...BASE, correlationId: 'request-1', options: { correlationId: 'explicit-9' } }).correlationId).toBe(
      'explicit-9',
    );
  });

  it('uses the ambient correlationId when no option is given', () => {
    expect(buildMessageProperties({ ...BASE, correlationId: 'request-1' }).correlationId).toBe('request-1');
    expect(buildMessageProperties({ ...BASE, correlationId: 'request-1', options: {} }).correlationId).toBe('request-1');
  });

  it('leaves correlationId unset when there is none', () => {
    expect(buildMessageProperties(BASE).correlationId).toBeUndefined();
  });

  it('copies headers instead of sharing the caller object', () => {
    const headers: Record<string, unknown> = { 'x-tenant': 't-1' };
    const properties = buildMessageProperties({ ...BASE, options: { headers } });
    expect(properties.headers).toEqual({ 'x-tenant': 't-1' });
    expect(properties.headers).not.toBe(headers);
    properties.headers!['x-added'] = 1;
    headers['x-later'] = 2;
    expect(headers).toEqual({ 'x-tenant': 't-1', 'x-later': 2 });
    expect(properties.headers).toEqual({ 'x-tenant': 't-1', 'x-added': 1 });
  });

  it('gives each publish its own empty headers object when none are given', () => {
    const first = buildMessageProperties(BASE);
    const second = buildMessageProperties(BASE);
    expect(first.headers).toEqual({});
    expect(first.headers).not.toBe(second.headers);
  });

  it('sets expiration (as AMQP wants it, a string of ms) and priority only when given, and refuses bad ones', () => {
    expect(buildMessageProperties(BASE)).not.toHaveProperty('expiration');
    expect(buildMessageProperties(BASE)).not.toHaveProperty('priority');
    const properties = buildMessageProperties({ ...BASE, options: { expiration: 60_000, priority: 7, headers: { 'x-tenant': 'acme' } } });
    expect(properties).toMatchObject({ expiration: '60000', priority: 7, headers: { 'x-tenant': 'acme' } });
    expect(() => buildMessageProperties({ ...BASE, options: { priority: 256 } })).toThrow(/priority must be an integer from 0 to 255, got 256/);
    expect(() => buildMessageProperties({ ...BASE, options: { expiration: -5 } })).toThrow(/expiration must be an integer number of ms/);
  });
});
