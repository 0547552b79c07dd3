import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deadLetterQueueName, RabbitMetrics, retryQueueName } from '../src/rabbitmq/admin.js';
import { RabbitClient } from '../src/rabbitmq/index.js';
import { replicasQueueName } from '../src/rabbitmq/topology/topology-names.js';
import { HEADER_RETRY_COUNT } from '../src/rabbitmq/wire/message-headers.js';
import { HandlerHarness } from '../src/rabbitmq/testing/index.js';
import { BrokerProbe } from './support/broker.js';
import {
  BY_KEY_CONTRACT_SCENARIOS,
  BY_KEY_PATTERN,
  type ByKeyContractObservation,
  type ByKeyContractScenario,
  KeyedCalls,
  KeyedContractHandler,
  perKey,
} from './support/by-key-contract-scenarios.js';
import { ORDERED_RETRY, type SettledEntry } from './support/ordered-contract-scenarios.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { RecordingLogger } from './support/recording-logger.js';
import { waitFor } from './support/wait-for.js';

/**
 * The harness must run a handler ordered by key as production does: each scenario's entries go once
 * through `warren/testing` and once through the real partition router and partitions on the shared
 * broker; both must keep each key's order, let the other key proceed while one is held, retry in
 * place with the same delays (on the broker read from the in-place retry warning), park the same
 * entries in the handler's DLQ, and use no retry queue.
 */
describe('warren/testing harness agrees with the broker on handlers ordered by key', () => {
  let probeApp: ProbeApp;
  let harness: HandlerHarness;
  let probe: BrokerProbe;
  let queue: string;
  const logger = new RecordingLogger();

  beforeAll(async () => {
    const options = { consume: { killSwitch: { enabled: false } } };
    probeApp = await startProbeApp('contract-by-key', [KeyedContractHandler], options, [KeyedCalls], (app) => app.useLogger(logger));
    [queue] = probeApp.server.eventQueues();
    probe = await BrokerProbe.open();
    harness = await HandlerHarness.create({
      handlers: [KeyedContractHandler],
      providers: [KeyedCalls],
      options: { ...options, serviceName: probeApp.serviceName, exchange: probeApp.exchange },
      // Nest's logger is one per process: the harness's would replace the probe app's, whose warnings the broker run reads.
      logger,
    });
  });

  afterAll(async () => {
    await harness?.close();
    await probeApp?.dispose();
    await probe?.remove({ queues: [replicasQueueName(queue), ...ORDERED_RETRY.delaysMs.map((delayMs) => retryQueueName(queue, delayMs))] });
    await probe?.close();
  });

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
    const record = harness.get(KeyedCalls);
    record.clear();
    const deliveries = await Promise.all(
      scenario.entries.map((entry) => harness.publish(BY_KEY_PATTERN, { run, ...entry }, { messageId: `${run}-${entry.seq}` })),
    );
    const settled = deliveries.map(({ result }, index): SettledEntry => {
      const { seq } = scenario.entries[index];
      if (result.kind !== 'ack' && result.kind !== 'dead-letter') {
        return { seq, kind: result.kind, inPlace: [] };
      }
      const inPlace = (result.retriedInPlace ?? []).map((retry): SettledEntry['inPlace'][number] => [
        retry.attempt,
        retry.delayMs,
        retry.errorType,
        retry.errorMessage,
      ]);
      return result.kind === 'ack' ? { seq, kind: 'ack', inPlace } : { seq, kind: 'dead-letter', retryCount: result.retryCount, inPlace };
    });
    const retryQueues = deliveries.flatMap(({ result }) => (result.kind === 'retry' ? [result.retryQueue] : []));
    return { ...perKey(record), holds: [...record.holds], settled, retryQueues };
  }

  async function viaBroker(scenario: ByKeyContractScenario, run: string): Promise<ByKeyContractObservation> {
    const record = probeApp.app.get(KeyedCalls);
    record.clear();
    const before = await settledCount();
    const client = probeApp.app.get(RabbitClient);
    for (const entry of scenario.entries) {
      await client.publish(BY_KEY_PATTERN, { run, ...entry }, { messageId: `${run}-${entry.seq}` });
    }
    await waitFor('every entry acked or parked by its partition', async () => (await settledCount()) - before >= scenario.entries.length, {
      timeoutMs: 20_000,
    });
    const parked = new Map<string, number>();
    for (let copy = await probe.take(deadLetterQueueName(queue)); copy; copy = await probe.take(deadLetterQueueName(queue))) {
      parked.set(String(copy.properties.messageId), copy.properties.headers?.[HEADER_RETRY_COUNT] as number);
    }
    const settled = scenario.entries.map(({ seq }): SettledEntry => {
      const id = `${run}-${seq}`;
      const inPlace = inPlaceRetriesLogged(id);
      return parked.has(id) ? { seq, kind: 'dead-letter', retryCount: parked.get(id), inPlace } : { seq, kind: 'ack', inPlace };
    });
    const retryQueues: string[] = [];
    for (const delayMs of ORDERED_RETRY.delaysMs) {
      const declared = await probe.ready(retryQueueName(queue, delayMs)).then(
        () => true,
        () => false,
      );
      if (declared) {
        retryQueues.push(retryQueueName(queue, delayMs));
      }
    }
    return { ...perKey(record), holds: [...record.holds], settled, retryQueues };
  }

  /** The in-place retries production logged for one message, on whichever partition (`<queue>.p<i>`) handled it. */
  function inPlaceRetriesLogged(messageId: string): SettledEntry['inPlace'] {
    const line = new RegExp(
      `^retry (\\d+) of message ${messageId} of ordered ${queue.replace(/\./g, '\\.')}\\.p\\d+ in place in (\\d+) ms [^:]*: (\\w+): (.*)$`,
    );
    return logger.lines.flatMap((text) => {
      const match = line.exec(text);
      return match ? [[Number(match[1]), Number(match[2]), match[3], match[4]] as SettledEntry['inPlace'][number]] : [];
    });
  }

  /** Acked plus parked deliveries of the partitions (the router's own acks of the handler queue are forwards, not settlements). */
  async function settledCount(): Promise<number> {
    const metric = await probeApp.app.get(RabbitMetrics).consumed.get();
    return metric.values
      .filter((value) => String(value.labels.queue).startsWith(`${queue}.p`))
      .filter((value) => value.labels.outcome === 'ack' || value.labels.outcome === 'dead_letter')
      .reduce((sum, value) => sum + value.value, 0);
  }
});
