import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  BY_KEY_CONTRACT_SCENARIOS,
  BY_KEY_PATTERN,
  type ByKeyContractObservation,
  type ByKeyContractScenario,
  KeyedCalls,
  KeyedContractHandler,
  perKey,
} from './support/by-key-contract-scenarios.js';
import { OrderedContractRig } from './support/ordered-contract-rig.js';

/**
 * The harness must run a handler ordered by key as production does: each scenario's entries go once
 * through `warren/testing` and once through the real partition router and partitions on the shared
 * broker; both must keep each key's order, let the other key proceed while one is held, retry in
 * place with the same delays (on the broker read from the in-place retry warning), park the same
 * entries in the handler's DLQ, and use no retry queue.
 */
describe('warren/testing harness agrees with the broker on handlers ordered by key', () => {
  const rig = new OrderedContractRig(KeyedContractHandler, KeyedCalls, true);

  beforeAll(() => rig.start('contract-by-key'));
  afterAll(() => rig.close());

  it.each(BY_KEY_CONTRACT_SCENARIOS.map((scenario) => [scenario.name, scenario] as const))(
    '%s',
    async (_name, scenario) => {
      const inHarness = await viaHarness(scenario, randomUUID());
      const onBroker = await viaBroker(scenario, randomUUID());

      expect(inHarness).toMatchObject(scenario.expected);
      expect(onBroker).toEqual(inHarness);
    },
    30_000,
  );

  async function viaHarness(scenario: ByKeyContractScenario, run: string): Promise<ByKeyContractObservation> {
    const record = rig.harness.get(KeyedCalls);
    record.clear();
    const settlement = await rig.viaHarness(BY_KEY_PATTERN, scenario.entries, run);
    return { ...perKey(record), holds: [...record.holds], ...settlement };
  }

  async function viaBroker(scenario: ByKeyContractScenario, run: string): Promise<ByKeyContractObservation> {
    const record = rig.probeApp.app.get(KeyedCalls);
    record.clear();
    const settlement = await rig.viaBroker(BY_KEY_PATTERN, scenario.entries, run);
    return { ...perKey(record), holds: [...record.holds], ...settlement };
  }
});
