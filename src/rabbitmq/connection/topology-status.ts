import type { Logger } from '@nestjs/common';
import type { TopologyConflictError } from '../errors/topology-conflict.error.js';
import type { TopologyReporter } from '../topology/topology-reporter.js';

/**
 * What the declarations of one connection found: the conflicts still standing (readiness stays
 * down while there is one) and the older forms in use (each logged once per process, through
 * the `noted` set both connections share).
 */
export class TopologyStatus implements TopologyReporter {
  private readonly conflicts = new Map<string, TopologyConflictError>();

  constructor(
    private readonly logger: Logger,
    private readonly noted: Set<string>,
    /** Called on each conflict: the connection closes and reconnects with backoff. */
    private readonly onConflict: (error: TopologyConflictError) => void,
  ) {}

  declared(kind: 'exchange' | 'queue', name: string): void {
    this.conflicts.delete(`${kind} ${name}`);
  }

  conflict(error: TopologyConflictError): void {
    this.conflicts.set(`${error.conflict.kind} ${error.conflict.name}`, error);
    this.onConflict(error);
  }

  legacyExchange(name: string): void {
    this.once(
      `legacy ${name}`,
      `exchange '${name}' still has the 'alternate-exchange' argument of older warren versions: used as it is (unroutable ` +
        `events keep going to '${name}.unrouted' broker-side). To migrate, delete the exchange in a quiet moment ` +
        `(rabbitmqadmin delete exchange name=${name}) and restart one instance: it re-declares it plain and re-binds every handler queue`,
    );
  }

  unboundedQueue(name: string, argument: string, bound: Record<string, unknown>): void {
    this.once(
      `unbounded ${name}`,
      `queue '${name}' was declared without the bound warren now sets (${argument}; wanted ${JSON.stringify(bound)}): used as it is, ` +
        `unbounded. To migrate, drain it (npm run dlq -- replay, or purge) and delete it (rabbitmqctl delete_queue ${name}); ` +
        `the next start re-declares it bounded`,
    );
  }

  /** The connection stayed up: whatever conflicted before no longer stands in its way. */
  clear(): void {
    this.conflicts.clear();
  }

  /** The first conflict still standing, if any. */
  get current(): TopologyConflictError | undefined {
    return this.conflicts.values().next().value;
  }

  private once(key: string, message: string): void {
    if (!this.noted.has(key)) {
      this.noted.add(key);
      this.logger.warn(message);
    }
  }
}
