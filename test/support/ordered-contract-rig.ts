import type { Type } from '@nestjs/common';
import { deadLetterQueueName, RabbitMetrics, retryQueueName } from '../../src/rabbitmq/admin.js';
import { RabbitClient } from '../../src/rabbitmq/index.js';
import { HandlerHarness } from '../../src/rabbitmq/testing/index.js';
import { replicasQueueName } from '../../src/rabbitmq/topology/topology-names.js';
import { HEADER_RETRY_COUNT } from '../../src/rabbitmq/wire/message-headers.js';
import { BrokerProbe } from './broker.js';
import { ORDERED_RETRY, type SettledEntry } from './ordered-contract-scenarios.js';
import { type ProbeApp, startProbeApp } from './probe-app.js';
import { RecordingLogger } from './recording-logger.js';
import { waitFor } from './wait-for.js';

/** What an ordered contract run observed of its entries' settlement, the same on both sides. */
export interface Settlement {
  /** In publish order. */
  settled: SettledEntry[];
  /** Retry queues the handler used (none: an ordered handler retries in place). */
  retryQueues: string[];
}

/**
 * What the contract suites of ordered handlers (test/harness-contract-ordered and -by-key) share:
 * one handler run by a probe app on the shared broker and by a `warren/testing` harness, and how
 * each side's entries settled. The suites read what the handler did from their own records.
 */
export class OrderedContractRig {
  probeApp!: ProbeApp;
  harness!: HandlerHarness;
  probe!: BrokerProbe;
  queue!: string;
  readonly logger = new RecordingLogger();

  constructor(
    private readonly handler: Type,
    private readonly calls: Type,
    /** Ordered by key: the handler queue's consumer is the partition router, and its partitions (`<queue>.p<i>`) settle. */
    private readonly partitioned: boolean,
  ) {}

  async start(prefix: string): Promise<void> {
    const options = { consume: { killSwitch: { enabled: false } } };
    this.probeApp = await startProbeApp(prefix, [this.handler], options, [this.calls], (app) => app.useLogger(this.logger));
    [this.queue] = this.probeApp.server.eventQueues();
    this.probe = await BrokerProbe.open();
    this.harness = await HandlerHarness.create({
      handlers: [this.handler],
      providers: [this.calls],
      options: { ...options, serviceName: this.probeApp.serviceName, exchange: this.probeApp.exchange },
      // Nest's logger is one per process: the harness's would replace the probe app's, whose warnings the broker run reads.
      logger: this.logger,
    });
  }

  async close(): Promise<void> {
    await this.harness?.close();
    await this.probeApp?.dispose();
    const retryQueues = ORDERED_RETRY.delaysMs.map((delayMs) => retryQueueName(this.queue, delayMs));
    await this.probe?.remove({ queues: this.partitioned ? [replicasQueueName(this.queue), ...retryQueues] : retryQueues });
    await this.probe?.close();
  }

  /** Publishes the entries to the harness together (each waits for the ones before it, as behind the broker's queue). */
  async viaHarness(pattern: string, entries: { seq: number }[], run: string): Promise<Settlement> {
    const deliveries = await Promise.all(
      entries.map((entry) => this.harness.publish(pattern, { run, ...entry }, { messageId: `${run}-${entry.seq}` })),
    );
    const settled = deliveries.map(({ result }, index): SettledEntry => {
      const { seq } = entries[index];
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
    return { settled, retryQueues };
  }

  /**
   * Publishes the entries to the broker back to back and waits until each is acked or parked; the
   * parked ones are read from the DLQ, the in-place retries from the warnings production logged.
   */
  async viaBroker(pattern: string, entries: { seq: number }[], run: string): Promise<Settlement> {
    const before = await this.settledCount();
    const client = this.probeApp.app.get(RabbitClient);
    for (const entry of entries) {
      await client.publish(pattern, { run, ...entry }, { messageId: `${run}-${entry.seq}` });
    }
    await waitFor('every entry acked or parked', async () => (await this.settledCount()) - before >= entries.length, { timeoutMs: 20_000 });
    const dlq = deadLetterQueueName(this.queue);
    const parked = new Map<string, number>();
    for (let copy = await this.probe.take(dlq); copy; copy = await this.probe.take(dlq)) {
      parked.set(String(copy.properties.messageId), copy.properties.headers?.[HEADER_RETRY_COUNT] as number);
    }
    const settled = entries.map(({ seq }): SettledEntry => {
      const id = `${run}-${seq}`;
      const inPlace = this.inPlaceRetriesLogged(id);
      return parked.has(id) ? { seq, kind: 'dead-letter', retryCount: parked.get(id), inPlace } : { seq, kind: 'ack', inPlace };
    });
    const retryQueues: string[] = [];
    for (const delayMs of ORDERED_RETRY.delaysMs) {
      const declared = await this.probe.ready(retryQueueName(this.queue, delayMs)).then(
        () => true,
        () => false,
      );
      if (declared) {
        retryQueues.push(retryQueueName(this.queue, delayMs));
      }
    }
    return { settled, retryQueues };
  }

  /**
   * The in-place retries production logged for one message, `retry N of message ID of ordered Q in place in D ms (…): Type: message`
   * (the only trace a retry in place leaves); Q is the handler queue, or whichever partition handled it.
   */
  private inPlaceRetriesLogged(messageId: string): SettledEntry['inPlace'] {
    const queue = `${this.queue.replace(/\./g, '\\.')}${this.partitioned ? '\\.p\\d+' : ''}`;
    const line = new RegExp(`^retry (\\d+) of message ${messageId} of ordered ${queue} in place in (\\d+) ms [^:]*: (\\w+): (.*)$`);
    return this.logger.lines.flatMap((text) => {
      const match = line.exec(text);
      return match ? [[Number(match[1]), Number(match[2]), match[3], match[4]] as SettledEntry['inPlace'][number]] : [];
    });
  }

  /**
   * Acked plus parked deliveries (warren_messages_consumed_total) of the queue that settles; in-place
   * retries count as neither. Partitioned, the router's own acks of the handler queue are forwards, not settlements.
   */
  private async settledCount(): Promise<number> {
    const settles = (queue: string): boolean => (this.partitioned ? queue.startsWith(`${this.queue}.p`) : queue === this.queue);
    const metric = await this.probeApp.app.get(RabbitMetrics).consumed.get();
    return metric.values
      .filter((value) => settles(String(value.labels.queue)))
      .filter((value) => value.labels.outcome === 'ack' || value.labels.outcome === 'dead_letter')
      .reduce((sum, value) => sum + value.value, 0);
  }
}
