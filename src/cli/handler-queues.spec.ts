import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { loadConfig } from '../config/load-config.js';
import { RabbitConnections } from '../rabbitmq/admin.js';
import { discoverHandlerQueues } from './handler-queues.js';

describe('discoverHandlerQueues', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it("lists the service's handler queues without opening a broker connection", async () => {
    const get = jest.spyOn(RabbitConnections.prototype, 'get');
    // An address nothing listens on: discovery must not need, or wait for, a broker.
    const config = loadConfig({ AMQP_URL: 'amqp://guest:guest@127.0.0.1:1', SERVICE_NAME: 'shop' });
    const queues = await discoverHandlerQueues(config);
    expect(queues.length).toBeGreaterThan(0);
    expect(queues.every((queue) => queue.startsWith('shop.'))).toBe(true);
    expect(queues).toContain('shop.notifications.order-created');
    expect(get).not.toHaveBeenCalled();
  });
});
