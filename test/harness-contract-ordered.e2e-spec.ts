import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deadLetterQueueName, RabbitMetrics, retryQueueName } from '../src/rabbitmq/admin.js';
import { RabbitClient } from '../src/rabbitmq/index.js';
import { HEADER_RETRY_COUNT } from '../src/rabbitmq/wire/message-headers.js';
import { HandlerHarness } from '../src/rabbitmq/testing/index.js';
import { BrokerProbe } from './support/broker.js';
import {
  ORDERED_CONTRACT_SCENARIOS,
  ORDERED_PATTERN,
  ORDERED_RETRY,
  OrderedCalls,
  OrderedContractHandler,
  type OrderedContractObservation,
  type OrderedContractScenario,
  type SettledEntry,
} from './support/ordered-contract-scenarios.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { RecordingLogger } from './support/recording-logger.js';
import { waitFor } from './support/wait-for.js';

/**
 * The harness must run an ordered handler as production does: each scenario's entries go once
 * through `warren/testing` and once through the real transport on the shared broker, and both must
 * call the handler in the same order, retry in place with the same delays (on the broker read from
 * the in-place retry warning, the only trace a retry in place leaves), park the same entries with
 * the same retry count, and use no retry queue.
 */
describe('warren/testing harness agrees with the broker on ordered handlers', () => {
  let probeApp: ProbeApp;
  let harness: HandlerHarness;
  let probe: BrokerProbe;
  let queue: string;
  const logger = new RecordingLogger();

  beforeAll(async () => {
    const options = { consume: { killSwitch: { enabled: false } } };
    probeApp = await startProbeApp('contract-ordered', [OrderedContractHandler], options, [OrderedCalls], (app) => app.useLogger(logger));
    [queue] = probeApp.server.eventQueues();
    probe = await BrokerProbe.open();
    harness = await HandlerHarness.create({
      handlers: [OrderedContractHandler],
      providers: [OrderedCalls],
      options: { ...options, serviceName: probeApp.serviceName, exchange: probeApp.exchange },
      // Nest's logger is one per process: the harness's would replace the probe app's, whose warnings the broker run reads.
      logger,
    });
  });

  afterAll(async () => {
    await harness?.close();
    await probeApp?.dispose();
    await probe?.remove({ queues: ORDERED_RETRY.delaysMs.map((delayMs) => retryQueueName(queue, delayMs)) });
    await probe?.close();
  });

  it.each(ORDERED_CONTRACT_SCENARIOS.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
    const inHarness = await viaHarness(scenario, randomUUID());
    const onBroker = await viaBroker(scenario, randomUUID());

    expect(inHarness).toMatchObject(scenario.expected);
    expect(onBroker).toEqual(inHarness);
  });

  async function viaHarness(scenario: OrderedContractScenario, run: string): Promise<OrderedContractObservation> {
    const record = harness.get(OrderedCalls);
    record.clear();
    // Published together: each waits for the ones before it, as behind the broker's queue.
    const deliveries = await Promise.all(
      scenario.entries.map((entry) => harness.publish(ORDERED_PATTERN, { run, ...entry }, { messageId: `${run}-${entry.seq}` })),
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
    return { calls: [...record.calls], completed: [...record.completed], settled, retryQueues };
  }

  async function viaBroker(scenario: OrderedContractScenario, run: string): Promise<OrderedContractObservation> {
    const record = probeApp.app.get(OrderedCalls);
    record.clear();
    const before = await settledCount();
    const client = probeApp.app.get(RabbitClient);
    for (const entry of scenario.entries) {
      await client.publish(ORDERED_PATTERN, { run, ...entry }, { messageId: `${run}-${entry.seq}` });
    }
    await waitFor('every entry acked or parked', async () => (await settledCount()) - before >= scenario.entries.length, { timeoutMs: 20_000 });
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
    return { calls: [...record.calls], completed: [...record.completed], settled, retryQueues };
  }

  /** The in-place retries production logged for one message: `retry N of message ID of ordered Q in place in D ms (…): Type: message`. */
  function inPlaceRetriesLogged(messageId: string): SettledEntry['inPlace'] {
    const line = new RegExp(
      `^retry (\\d+) of message ${messageId} of ordered ${queue.replace(/\./g, '\\.')} in place in (\\d+) ms [^:]*: (\\w+): (.*)$`,
    );
    return logger.lines.flatMap((text) => {
      const match = line.exec(text);
      return match ? [[Number(match[1]), Number(match[2]), match[3], match[4]] as SettledEntry['inPlace'][number]] : [];
    });
  }

  /** Acked plus parked deliveries of the ordered queue (warren_messages_consumed_total); in-place retries count as neither. */
  async function settledCount(): Promise<number> {
    const metric = await probeApp.app.get(RabbitMetrics).consumed.get();
    return metric.values
      .filter((value) => value.labels.queue === queue && (value.labels.outcome === 'ack' || value.labels.outcome === 'dead_letter'))
      .reduce((sum, value) => sum + value.value, 0);
  }
});
