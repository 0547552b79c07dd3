import { describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { RabbitMQHealthIndicator } from '../src/rabbitmq/admin.js';
import { HandleEvent } from '../src/rabbitmq/index.js';
import { SHARED_AMQP_URL } from './support/broker.js';
import { type ProbeApp, startProbeApp } from './support/probe-app.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { waitFor } from './support/wait-for.js';

@Controller()
class DepthHandlers {
  @HandleEvent('depth.read')
  handle(): void {}
}

interface Readiness {
  rabbitmq: { status: string; reasons?: string[] };
}

const readiness = async (app: ProbeApp): Promise<Readiness> => (await app.app.get(RabbitMQHealthIndicator).isReady()) as unknown as Readiness;

describe('readiness.depthReadTimeoutMs', () => {
  it('bounds each queue-depth read: against a frozen network a check answers within it, down and naming it', async () => {
    const proxy = await TcpProxy.start({ port: Number(new URL(SHARED_AMQP_URL).port || 5672) });
    let app: ProbeApp | undefined;
    try {
      // Heartbeats far away: only the depth reads notice the freeze within the test.
      app = await startProbeApp('depth-timeout', [DepthHandlers], {
        urls: [proxy.url()],
        connection: { heartbeatSeconds: 60 },
        readiness: { depthReadTimeoutMs: 200 },
      });
      const probeApp = app;
      await waitFor('ready, the depths read', async () => (await readiness(probeApp)).rabbitmq.status === 'up');

      proxy.freeze();
      // Depths are cached for 2 s (QUEUE_DEPTH_CACHE_MS); the reads after that get no answer.
      await waitFor('readiness down', async () => (await readiness(probeApp)).rabbitmq.status === 'down', { timeoutMs: 10_000, intervalMs: 100 });
      const startedAt = performance.now();
      const check = await readiness(app);
      const elapsedMs = performance.now() - startedAt;

      expect(check.rabbitmq.status).toBe('down');
      expect(check.rabbitmq.reasons).toContainEqual(expect.stringMatching(/queue-depth reads in a row got no answer within 200 ms/));
      // The check waited the option's 200 ms for the depths; at the 1 s default it would wait 1 s.
      expect(elapsedMs).toBeGreaterThanOrEqual(190);
      expect(elapsedMs).toBeLessThan(1_000); // the default would wait at least 1 s
    } finally {
      proxy.thaw(); // held bytes flow again, so the app closes cleanly
      await app?.dispose();
      await proxy.close();
    }
  }, 60_000);
});
