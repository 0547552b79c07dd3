import { setTimeout as delay } from 'node:timers/promises';
import { type INestApplication, Logger } from '@nestjs/common';
import { RabbitLifecycle } from '../rabbitmq/admin.js';

const SIGNAL_EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * First SIGTERM/SIGINT: readiness fails at once; after `delayMs` (a lame-duck period in which
 * load balancers see the failing probe while requests are still served; 0 where a Kubernetes
 * preStop hook does this) the app closes in order (HTTP stops
 * accepting, consumers drain within the grace period, the rest is requeued, confirms flushed,
 * connections closed) and the process exits 0. A second signal exits at once — the operator
 * (or the kubelet after terminationGracePeriodSeconds) has decided not to wait.
 *
 * Used instead of Nest's enableShutdownHooks, which re-raises the signal and so exits non-zero.
 */
export function installGracefulShutdown(app: INestApplication, delayMs = 0): void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`second ${signal}: exiting now without waiting for in-flight work`);
      process.exit(SIGNAL_EXIT_CODES[signal] ?? 1);
    }
    stopping = true;
    app.get(RabbitLifecycle).beginShutdown();
    logger.log(`${signal} received: draining (send it again to exit at once)`);
    delay(delayMs)
      .then(() => app.close())
      .then(
        () => {
          logger.log('shutdown complete');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error(`shutdown failed: ${String(error)}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
