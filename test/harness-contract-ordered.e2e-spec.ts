import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OrderedContractRig } from './support/ordered-contract-rig.js';
import {
  ORDERED_CONTRACT_SCENARIOS,
  ORDERED_PATTERN,
  OrderedCalls,
  OrderedContractHandler,
  type OrderedContractObservation,
  type OrderedContractScenario,
} from './support/ordered-contract-scenarios.js';

/**
 * The harness must run an ordered handler as production does: each scenario's entries go once
 * through `warren/testing` and once through the real transport on the shared broker, and both must
 * call the handler in the same order, retry in place with the same delays (on the broker read from
 * the in-place retry warning, the only trace a retry in place leaves), park the same entries with
 * the same retry count, and use no retry queue.
 */
describe('warren/testing harness agrees with the broker on ordered handlers', () => {
  const rig = new OrderedContractRig(OrderedContractHandler, OrderedCalls, false);

  beforeAll(() => rig.start('contract-ordered'));
  afterAll(() => rig.close());

  it.each(ORDERED_CONTRACT_SCENARIOS.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
    const inHarness = await viaHarness(scenario, randomUUID());
    const onBroker = await viaBroker(scenario, randomUUID());

    expect(inHarness).toMatchObject(scenario.expected);
    expect(onBroker).toEqual(inHarness);
  });

  async function viaHarness(scenario: OrderedContractScenario, run: string): Promise<OrderedContractObservation> {
    const record = rig.harness.get(OrderedCalls);
    record.clear();
    const settlement = await rig.viaHarness(ORDERED_PATTERN, scenario.entries, run);
    return { calls: [...record.calls], completed: [...record.completed], ...settlement };
  }

  async function viaBroker(scenario: OrderedContractScenario, run: string): Promise<OrderedContractObservation> {
    const record = rig.probeApp.app.get(OrderedCalls);
    record.clear();
    const settlement = await rig.viaBroker(ORDERED_PATTERN, scenario.entries, run);
    return { calls: [...record.calls], completed: [...record.completed], ...settlement };
  }
});
