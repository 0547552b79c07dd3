import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SHARED_AMQP_URL, uniqueNames } from './support/broker.js';
import { removeTopology, serviceQueues } from './support/demo-app.js';
import { freePort } from './support/free-port.js';
import { ServiceProcess } from './support/service-process.js';

/**
 * Issue 24: handler classes are controllers (Nest binds message handlers only there), so in the
 * hybrid app Nest's RoutesResolver logged each as an HTTP route (`NotificationsHandler {/}:`) though
 * it serves none. Declared `@Controller([])` (no route prefix: nothing for the router to map), they are not.
 */
describe("the service's start-up log", () => {
  const names = uniqueNames('startup-log');
  let service: ServiceProcess;

  beforeAll(async () => {
    service = await ServiceProcess.start({
      AMQP_URL: SHARED_AMQP_URL,
      PORT: await freePort(),
      SERVICE_NAME: names.serviceName,
      EVENTS_EXCHANGE: names.exchange,
    });
  });

  afterAll(async () => {
    await service?.stop();
    await removeTopology(names.exchange, await serviceQueues(names));
  });

  /** The classes RoutesResolver announced as mapped to a route prefix (`OrdersController {/orders}:`). */
  function routeClasses(): string[] {
    return service.logs
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { context?: string; message?: string })
      .filter((record) => record.context === 'RoutesResolver')
      .map((record) => /^(\w+) \{/.exec(record.message ?? '')?.[1] ?? String(record.message));
  }

  it('lists the HTTP controllers as routes and no handler class', () => {
    const classes = routeClasses();
    expect(classes).toEqual(expect.arrayContaining(['OrdersController', 'UsersController', 'InventoryController', 'HealthController']));
    expect(classes.filter((name) => name.endsWith('Handler'))).toEqual([]);
  });
});
