import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CLUSTER_NODES, clusterDown, clusterUp, type QuorumQueueInfo } from '../support/cluster.js';
import { canStartDisposableBroker, disposableBrokerUnavailableReason } from '../support/disposable-broker.js';
import { clusterNodeKill, runScenario, summary } from '../support/recovery-scenarios.js';

/**
 * Issue 5, cluster: scripts/cluster.sh runs three disposable RabbitMQ nodes (warren-c1..c3 on
 * 5681-5683) as one cluster; the service gets all three in AMQP_URL. Its handler queues are
 * quorum queues with a member on every node. Under ~50 POST /users per second the node its
 * consumer connection is on is SIGKILLed: the service moves to another node and every accepted
 * event is still processed. The slowest suite (~2-3 min: ~45 s for `up` alone).
 */
const reason = disposableBrokerUnavailableReason();
if (reason) {
  // eslint-disable-next-line no-console -- a report the test prints on purpose
  console.warn(`skipping cluster e2e: ${reason}`);
}

(canStartDisposableBroker() ? describe : describe.skip)('3-node cluster: the node the service is on dies under load (scripts/cluster.sh)', () => {
  let amqpUrl: string | undefined;

  beforeAll(async () => {
    amqpUrl = await clusterUp(150_000);
  }, 170_000);

  afterAll(async () => {
    await clusterDown(90_000);
  }, 100_000);

  it('moves to another node; quorum queues with 3 members keep every accepted event: 0 lost', async () => {
    expect(amqpUrl).toBe(CLUSTER_NODES.map((n) => `amqp://guest:guest@127.0.0.1:${n.port}`).join(','));
    const result = await runScenario('cluster: SIGKILL of the node the service is on', { slug: 'cluster', amqpUrl: amqpUrl! }, clusterNodeKill());
    // eslint-disable-next-line no-console -- a report the test prints on purpose
    console.log(summary(result));
    const before = result.extra.queueBefore as QuorumQueueInfo | undefined;
    const after = result.extra.queueAfter as QuorumQueueInfo | undefined;
    // Replicated over the three nodes before the kill, led by a survivor after it.
    expect(before?.type).toBe('quorum');
    expect([...(before?.members ?? [])].sort()).toEqual(CLUSTER_NODES.map((n) => n.node));
    expect(after?.leader).not.toBe(result.extra.victim);
    expect(after?.online ?? []).not.toContain(result.extra.victim);
    // The service now talks to another node.
    expect(result.extra.reconnectedTo).toBeDefined();
    expect(result.extra.reconnectedTo).not.toBe(result.extra.victim);
    // eslint-disable-next-line no-console -- a report the test prints on purpose
    if (result.lost > 0) console.log(result.logTail);
    expect({ lost: result.lost, lostSample: result.lostSample }).toEqual({ lost: 0, lostSample: [] });
    expect(result.accepted).toBeGreaterThan(100);
    expect(result.recoveryMs[0]).toBeLessThan(30_000);
  }, 180_000);
});
