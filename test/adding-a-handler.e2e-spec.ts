/**
 * README "Adding a handler": a team adds a handler module to AppModule.register and nothing else.
 * The checks other suites make on the whole service (KEDA's triggers in the k8s test, the queues
 * test support cleans up) must hold for the new module's queues with no edit outside it.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { Controller, type DynamicModule, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { parse as parseYaml } from 'yaml';
import { readFileSync } from 'node:fs';
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { AppModule } from '../src/app.module.js';
import { loadConfig } from '../src/config/load-config.js';
import { HandleEvent, HandleRequest } from '../src/rabbitmq/index.js';
import { BrokerProbe } from './support/broker.js';
import { startDemoApp } from './support/demo-app.js';
import { discoverServiceQueues, kedaTriggerProblems } from './support/keda-triggers.js';

/** What a team writes: a module with its handler class, in src/shipping/ in real life. */
@Controller()
class ShippingHandler {
  @HandleEvent('inventory.reserved')
  onInventoryReserved(@Payload() _event: { orderId: string }): void {}

  @HandleRequest('shipping.status')
  status(@Payload() request: { orderId: string }): { orderId: string; status: string } {
    return { orderId: request.orderId, status: 'pending' };
  }
}

@Module({ controllers: [ShippingHandler] })
class ShippingModule {}

/** A handler that names its own queue outside the ScaledObject's pattern: the check must catch it. */
@Controller()
class RenamedQueueHandler {
  @HandleEvent('billing.charged', { queue: 'billing-v1' })
  onCharged(): void {}
}

@Module({ controllers: [RenamedQueueHandler] })
class RenamedQueueModule {}

/** AppModule.register with the team's module listed, as src/app.module.ts would list it. */
function serviceWith(module: DynamicModule['module']): DynamicModule {
  const config = loadConfig({ ...configMapData(), AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' });
  @Module({ imports: [AppModule.register(config), module] })
  class ServiceWithTeamModule {}
  return { module: ServiceWithTeamModule };
}

const manifest = (file: string): unknown[] =>
  readFileSync(new URL(`../k8s/${file}`, import.meta.url), 'utf8')
    .split(/^---$/m)
    .map((doc) => parseYaml(doc) as unknown);
const configMapData = (): Record<string, string> => (manifest('configmap.yaml')[0] as { data: Record<string, string> }).data;
const scaledObject = (): IScaledObject => manifest('keda/scaled-object.yaml')[0] as IScaledObject;

describe('adding a handler module touches that module and AppModule only', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it("KEDA's triggers scale on the new module's event and request queues as they stand, and on none of their DLQs or retry queues", async () => {
    const queues = await discoverServiceQueues(serviceWith(ShippingModule));
    expect(queues.consumed).toEqual(expect.arrayContaining(['warren.shipping.inventory-reserved', 'warren.events.rpc.shipping.status']));
    expect(queues.declared).toEqual(
      expect.arrayContaining(['warren.shipping.inventory-reserved.dlq', 'warren.shipping.inventory-reserved.retry.1000']),
    );
    expect(kedaTriggerProblems(scaledObject(), queues)).toEqual([]);
  });

  it('a queue named outside the triggers’ pattern is reported, saying what to do', async () => {
    const problems = kedaTriggerProblems(scaledObject(), await discoverServiceQueues(serviceWith(RenamedQueueModule)));
    expect(problems).toEqual([
      expect.stringMatching(/^queue 'billing-v1' is matched by 0 rabbitmq triggers .*add a trigger for it in k8s\/keda\/scaled-object\.yaml/),
    ]);
  });

  it("test support removes the new module's queues, DLQs and the exchange with the rest, without being told about them", async () => {
    const demo = await startDemoApp('add-handler', {}, [ShippingModule]);
    const queue = `${demo.config.rabbitmq.serviceName}.shipping.inventory-reserved`;
    const requestQueue = `${demo.config.rabbitmq.exchange!}.rpc.shipping.status`;
    const probe = await BrokerProbe.open();
    cleanups.push(() => probe.close());
    for (const declared of [queue, `${queue}.dlq`, requestQueue]) await probe.ready(declared);
    await demo.dispose();
    for (const removed of [queue, `${queue}.dlq`, requestQueue]) await expect(probe.ready(removed)).rejects.toThrow(/NOT_FOUND/);
  }, 30_000);
});
