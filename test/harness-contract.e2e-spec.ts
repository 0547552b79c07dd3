import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { GetMessage } from 'amqplib';
import { RabbitMetrics, deadLetterQueueName, retryQueueName, runWithCorrelationId } from '../src/rabbitmq/admin.js';
import { RABBITMQ_DEFAULTS } from '../src/rabbitmq/options/rabbitmq-defaults.js';
import {
  HEADER_ERROR_MESSAGE,
  HEADER_ERROR_TYPE,
  HEADER_HANDLER,
  HEADER_ORIGINAL_ROUTING_KEY,
  HEADER_RETRY_COUNT,
} from '../src/rabbitmq/wire/message-headers.js';
import { RabbitClient, RemoteHandlerError } from '../src/rabbitmq/index.js';
import { HandlerHarness, type HandlerResult } from '../src/rabbitmq/testing/index.js';
import { BrokerProbe } from './support/broker.js';
import {
  BlockListInterceptor,
  CONTRACT_OUT,
  CONTRACT_REQUEST,
  CONTRACT_RETRY,
  CONTRACT_SCENARIOS,
  type ContractObservation,
  type ContractScenario,
  ContractHandler,
  ContractResponder,
  REQUEST_CONTRACT_SCENARIOS,
  type RequestContractObservation,
  type RequestContractScenario,
  SeenPayloads,
} from './support/contract-scenarios.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { waitFor } from './support/wait-for.js';

/**
 * The harness must not drift from production: every scenario runs once through `warren/testing`
 * (no broker) and once through the real transport on the shared broker, and both must end the
 * same way (ack / retry with attempt and delay / park with x-error-type and x-error-message, the
 * payload the handler saw, the events it published). Requests too: the caller gets the same value
 * or the same typed error, and the handler publishes the same events.
 */
describe('warren/testing harness agrees with the broker', () => {
  let probeApp: ProbeApp;
  let harness: HandlerHarness;
  let probe: BrokerProbe;
  let queue: string;
  const outQueue = `t-contract-out-${randomUUID()}`;

  beforeAll(async () => {
    probeApp = await startProbeApp('contract', [ContractHandler, ContractResponder], {}, [SeenPayloads, BlockListInterceptor]);
    [queue] = probeApp.server.eventQueues();
    probe = await BrokerProbe.open();
    await probe.channel.assertQueue(outQueue, { durable: false });
    await probe.channel.bindQueue(outQueue, probeApp.exchange, CONTRACT_OUT);
    harness = await HandlerHarness.create({
      handlers: [ContractHandler, ContractResponder],
      providers: [SeenPayloads, BlockListInterceptor],
      options: { serviceName: probeApp.serviceName, exchange: probeApp.exchange },
    });
  });

  afterAll(async () => {
    await harness?.close();
    await probeApp?.dispose();
    // The module default's delay queues too: a scenario that went wrong may have used them.
    const delays = new Set([...CONTRACT_RETRY.delaysMs, ...RABBITMQ_DEFAULTS.consume.retry.delaysMs]);
    await probe?.remove({ queues: [outQueue, ...[...delays].map((delayMs) => retryQueueName(queue, delayMs))] });
    await probe?.close();
  });

  it('registers the handlers under the same queue names (the request queue too)', () => {
    expect(harness.handlers().map((definition) => definition.queue)).toEqual(probeApp.server.queues());
    expect(probeApp.server.queues()).toEqual([queue, `${probeApp.exchange}.rpc.${CONTRACT_REQUEST}`]);
  });

  it.each(CONTRACT_SCENARIOS.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
    const messageId = randomUUID();
    const inHarness = await viaHarness(scenario, messageId);
    const onBroker = await viaBroker(scenario, messageId);

    expect(inHarness).toMatchObject(scenario.expected);
    expect(onBroker).toEqual(inHarness);
  });

  it.each(REQUEST_CONTRACT_SCENARIOS.map((scenario) => [scenario.name, scenario] as const))('request: %s', async (_name, scenario) => {
    const inHarness = await asked(
      scenario,
      (payload) => harness.request(CONTRACT_REQUEST, payload, { timeoutMs: 20_000 }),
      () => [...harness.published],
    );
    const client = probeApp.app.get(RabbitClient);
    const onBroker = await asked(scenario, (payload) => client.request(CONTRACT_REQUEST, payload, { timeoutMs: 20_000 }), undefined);

    expect(inHarness).toMatchObject(scenario.expected);
    expect(onBroker).toEqual(inHarness);
  });

  /** Asks once (inside the caller's correlation id, if any) and observes the reply and the events published. */
  async function asked(
    scenario: RequestContractScenario,
    ask: (payload: unknown) => Promise<unknown>,
    recorded: (() => { pattern: string; payload: unknown; properties: { correlationId?: string } }[]) | undefined,
  ): Promise<RequestContractObservation> {
    const before = recorded?.().length ?? 0;
    const call = () => ask(scenario.payload);
    const observation: RequestContractObservation = { published: [] };
    try {
      observation.value = await (scenario.correlationId ? runWithCorrelationId(scenario.correlationId, call) : call());
    } catch (error) {
      observation.error = { name: (error as Error).name };
      if (error instanceof RemoteHandlerError) {
        Object.assign(observation.error, { remoteType: error.remoteType, remoteMessage: error.remoteMessage });
      }
    }
    if (recorded) {
      observation.published = recorded()
        .slice(before)
        .map((event) => ({ pattern: event.pattern, payload: event.payload, correlationId: event.properties.correlationId }));
      return observation;
    }
    // On the broker: the events the scenario expects, then nothing more.
    for (let taken = 0; taken < (scenario.expected.published?.length ?? 0); taken += 1) {
      const event = await waitFor('the onward event', () => probe.take(outQueue));
      observation.published.push({
        pattern: event.fields.routingKey,
        payload: JSON.parse(event.content.toString()) as unknown,
        correlationId: event.properties.correlationId as string | undefined,
      });
    }
    observation.published.push(...(await drainOut()));
    return observation;
  }

  async function viaHarness(scenario: ContractScenario, messageId: string): Promise<ContractObservation> {
    const seen = harness.get(SeenPayloads);
    seen.payloads.length = 0;
    const properties = { messageId, correlationId: scenario.correlationId, headers: scenario.headers ?? {} };
    const delivery = scenario.raw
      ? await harness.publishRaw(scenario.routingKey, scenario.raw.body, { ...properties, contentType: scenario.raw.contentType, persistent: true })
      : await harness.publish(scenario.routingKey, scenario.payload, properties);
    return {
      ...fromResult(delivery.result, messageId),
      seen: seen.payloads[0],
      published: delivery.published.map((event) => ({
        pattern: event.pattern,
        payload: event.payload,
        correlationId: event.properties.correlationId,
      })),
    };
  }

  async function viaBroker(scenario: ContractScenario, messageId: string): Promise<ContractObservation> {
    const seen = probeApp.app.get(SeenPayloads);
    seen.payloads.length = 0;
    const before = await settledCounts();
    if (scenario.raw) {
      probe.publish(probeApp.exchange, scenario.routingKey, scenario.raw.body, {
        messageId,
        correlationId: scenario.correlationId,
        headers: scenario.headers ?? {},
        contentType: scenario.raw.contentType,
        persistent: true,
      });
    } else {
      await probeApp.app
        .get(RabbitClient)
        .publish(scenario.routingKey, scenario.payload, { messageId, correlationId: scenario.correlationId, headers: scenario.headers });
    }
    const outcome = await waitFor('the transport to settle the message', async () => newOutcome(before, await settledCounts()), {
      timeoutMs: 20_000,
    });
    const observation: ContractObservation = { kind: outcome, seen: seen.payloads[0], published: [] };
    if (outcome === 'retry') {
      const [delayMs, copy] = await waitFor('the retry copy in its delay queue', () => takeRetryCopy());
      Object.assign(observation, fromCopy(copy, messageId), { attempt: copy.properties.headers?.[HEADER_RETRY_COUNT] as number, delayMs });
    } else if (outcome === 'dead-letter') {
      const copy = await waitFor('the parked copy', () => probe.take(deadLetterQueueName(queue)));
      Object.assign(observation, fromCopy(copy, messageId), { retryCount: copy.properties.headers?.[HEADER_RETRY_COUNT] as number });
    }
    const expectedEvents = scenario.expected.published?.length ?? 0;
    for (let taken = 0; taken < expectedEvents; taken += 1) {
      const event = await waitFor('the onward event', () => probe.take(outQueue));
      observation.published.push({
        pattern: event.fields.routingKey,
        payload: JSON.parse(event.content.toString()) as unknown,
        correlationId: event.properties.correlationId as string | undefined,
      });
    }
    // Nothing more than expected was published (a harness that records less would otherwise agree).
    observation.published.push(...(await drainOut()));
    return observation;
  }

  async function takeRetryCopy(): Promise<[number, GetMessage] | undefined> {
    for (const delayMs of CONTRACT_RETRY.delaysMs) {
      const copy = await probe.take(retryQueueName(queue, delayMs)).catch(() => undefined);
      if (copy) {
        return [delayMs, copy];
      }
    }
    return undefined;
  }

  async function drainOut(): Promise<ContractObservation['published']> {
    const extra: ContractObservation['published'] = [];
    for (let event = await probe.take(outQueue); event; event = await probe.take(outQueue)) {
      extra.push({ pattern: event.fields.routingKey, payload: JSON.parse(event.content.toString()) as unknown });
    }
    return extra;
  }

  /** warren_messages_consumed_total of the handler queue, by outcome. */
  async function settledCounts(): Promise<Map<string, number>> {
    const metric = await probeApp.app.get(RabbitMetrics).consumed.get();
    return new Map(metric.values.filter((value) => value.labels.queue === queue).map((value) => [String(value.labels.outcome), value.value]));
  }

  function newOutcome(before: Map<string, number>, after: Map<string, number>): HandlerResult['kind'] | undefined {
    const changed = [...after].find(([outcome, count]) => count > (before.get(outcome) ?? 0));
    return changed ? (changed[0].replace('_', '-') as HandlerResult['kind']) : undefined;
  }
});

function fromResult(result: HandlerResult, messageId: string): Omit<ContractObservation, 'published' | 'seen'> {
  if (result.kind === 'ack') {
    return { kind: 'ack' };
  }
  if (result.kind === 'replied') {
    throw new Error(`an event was answered as a request by ${result.handler}`);
  }
  const common = {
    kind: result.kind,
    errorType: result.errorType,
    errorMessage: result.errorMessage,
    handlerHeader: result.copy.headers[HEADER_HANDLER],
    originalRoutingKey: result.copy.headers[HEADER_ORIGINAL_ROUTING_KEY],
    keptMessageId: result.copy.messageId === messageId,
  };
  return result.kind === 'retry' ? { ...common, attempt: result.attempt, delayMs: result.delayMs } : { ...common, retryCount: result.retryCount };
}

function fromCopy(copy: GetMessage, messageId: string): Partial<ContractObservation> {
  const headers = copy.properties.headers ?? {};
  return {
    errorType: headers[HEADER_ERROR_TYPE] as string,
    errorMessage: String(headers[HEADER_ERROR_MESSAGE]),
    handlerHeader: headers[HEADER_HANDLER],
    originalRoutingKey: headers[HEADER_ORIGINAL_ROUTING_KEY],
    keptMessageId: copy.properties.messageId === messageId,
  };
}
