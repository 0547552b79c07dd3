import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import amqp, { type ChannelModel } from 'amqplib';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { HEADER_ERROR_TYPE } from '../src/rabbitmq/wire/message-headers.js';
import { uniqueNames } from './support/broker.js';
import { canStartDisposableBroker, DisposableBroker, disposableBrokerUnavailableReason } from './support/disposable-broker.js';
import { freePort } from './support/free-port.js';
import { loadManifests, theOne } from './support/k8s-manifests.js';
import type { RabbitmqClusterSpec } from './support/rabbitmq-cluster.schema.js';
import { ServiceProcess } from './support/service-process.js';
import { waitFor } from './support/wait-for.js';

/**
 * The broker settings of k8s/rabbitmq-cluster.yaml (additionalConfig, verbatim) on a disposable
 * RabbitMQ node, with the service configured by k8s/configmap.yaml's MAX_MESSAGE_BYTES: the node
 * boots with them, refuses a body one byte over the limit from a plain producer (so it can never
 * be delivered to the service), and the service still parks a body of exactly the limit with its
 * reason headers (the broker counts the body, not the headers warren adds to the .dlq copy).
 */

const unavailable = disposableBrokerUnavailableReason();
const describeWithBroker = canStartDisposableBroker() ? describe : describe.skip;
if (unavailable) {
  // eslint-disable-next-line no-console
  console.warn(`skipping broker-max-message-size e2e: ${unavailable}`);
}

const manifests = loadManifests();
const brokerConfig = theOne<{ spec: RabbitmqClusterSpec }>(manifests, 'RabbitmqCluster').spec.rabbitmq?.additionalConfig ?? '';
const maxMessageBytes = Number(theOne<IConfigMap>(manifests, 'ConfigMap', 'warren-config').data?.MAX_MESSAGE_BYTES);

describeWithBroker("the RabbitmqCluster's max_message_size on a real node (disposable)", () => {
  const names = uniqueNames('max-size');
  const queue = `${names.serviceName}.notifications.user-registered`;
  let broker: DisposableBroker | undefined;
  let service: ServiceProcess | undefined;
  let producer: ChannelModel | undefined;

  beforeAll(async () => {
    expect(brokerConfig).toContain('max_message_size');
    broker = await DisposableBroker.start({ name: 'max-size', config: brokerConfig });
    service = await ServiceProcess.start(
      {
        AMQP_URL: broker.url,
        SERVICE_NAME: names.serviceName,
        EVENTS_EXCHANGE: names.exchange,
        PORT: await freePort(),
        MAX_MESSAGE_BYTES: String(maxMessageBytes),
      },
      30_000,
    );
    producer = await amqp.connect(broker.url);
    producer.on('error', () => undefined);
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await producer?.close().catch(() => undefined);
    // Removing the node removes everything the service declared on it.
    await broker?.remove();
  }, 90_000);

  it('refuses a body over MAX_MESSAGE_BYTES from a plain producer; the service parks one of exactly that size', async () => {
    // One byte over: the producer's channel is closed with 406 and nothing reaches the queue.
    const refused = await producer!.createConfirmChannel();
    const closed = new Promise<Error>((resolve, reject) => {
      refused.on('error', resolve);
      setTimeout(() => reject(new Error('the broker accepted a body over max_message_size: its channel stayed open')), 10_000).unref();
    });
    refused.publish(names.exchange, 'user.registered', Buffer.alloc(maxMessageBytes + 1, 0x61), { persistent: true });
    const error = await closed;
    expect(error.message).toMatch(/PRECONDITION_FAILED.*larger than configured max size/);

    // Exactly the limit, and not JSON: delivered, refused by the decoder, parked with its reason.
    const channel = await producer!.createConfirmChannel();
    const atTheLimit = Buffer.alloc(maxMessageBytes, 0x61);
    channel.publish(names.exchange, 'user.registered', atTheLimit, { persistent: true, messageId: 'at-the-limit' });
    await channel.waitForConfirms();
    const dlq = `${queue}.dlq`;
    const parked = await waitFor(`the message parked in ${dlq}`, async () => (await channel.get(dlq, { noAck: true })) || undefined, {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    expect(parked.properties.messageId).toBe('at-the-limit');
    expect(parked.content.length).toBe(maxMessageBytes);
    expect(parked.properties.headers?.[HEADER_ERROR_TYPE]).toBe('DecodeError');
    expect((await channel.checkQueue(queue)).messageCount).toBe(0);
  }, 60_000);
});
