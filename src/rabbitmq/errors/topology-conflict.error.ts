import { WarrenError } from './warren.error.js';
/** AMQP reply code of a declare whose arguments differ from the existing object's. */
export const PRECONDITION_FAILED = 406;

/** What the broker told us about a declare that conflicts with an existing exchange or queue. */
export interface TopologyConflict {
  kind: 'exchange' | 'queue';
  name: string;
  /** The differing argument ('type', 'durable', 'x-queue-type', 'alternate-exchange', …), when the broker names it. */
  argument?: string;
  /** What warren declared, in the broker's words. */
  declared?: string;
  /** What the existing object has, in the broker's words. */
  existing?: string;
}

// RabbitMQ 3.x: "PRECONDITION_FAILED - inequivalent arg 'durable' for exchange 'x' in vhost '/':
// received 'true' but current is 'false'".
const INEQUIVALENT_ARG =
  /inequivalent arg '([^']*)' for (exchange|queue) '((?:[^']|'(?! in vhost))*)' in vhost '[^']*': received (.*) but current is (.*?)"?$/;
const OBJECT_NAMED = /(exchange|queue) '([^']*)'/;

/**
 * A declare failed with 406 PRECONDITION_FAILED: an exchange or queue of that name already
 * exists with another type or other arguments (declared by an older warren, another service or
 * by hand). Retrying cannot help until someone changes one side, so this is reported once per
 * attempt with the fix, and readiness stays down meanwhile.
 */
export class TopologyConflictError extends WarrenError {
  override readonly code = 'WARREN_TOPOLOGY_CONFLICT';
  override readonly name = 'TopologyConflictError';

  constructor(
    readonly conflict: TopologyConflict,
    options?: ErrorOptions,
  ) {
    super(describeConflict(conflict), options);
  }

  /** The conflict in an amqplib error, or undefined when the error is not a 406 on a declare. */
  static from(error: unknown, fallback?: Pick<TopologyConflict, 'kind' | 'name'>): TopologyConflictError | undefined {
    if (error instanceof TopologyConflictError) {
      return error;
    }
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : String(error);
    if (code !== PRECONDITION_FAILED && !message.includes('PRECONDITION_FAILED')) {
      return undefined;
    }
    const match = INEQUIVALENT_ARG.exec(message);
    if (match) {
      const [, argument, kind, name, declared, existing] = match;
      return new TopologyConflictError({ kind: kind as TopologyConflict['kind'], name, argument, declared, existing }, { cause: error });
    }
    const named = OBJECT_NAMED.exec(message);
    const object = named ? { kind: named[1] as TopologyConflict['kind'], name: named[2] } : fallback;
    return object ? new TopologyConflictError(object, { cause: error }) : undefined;
  }

  /** Short form for a 503 or a readiness reason: "topology conflict on exchange 'x' (argument 'type')". */
  get summary(): string {
    const { kind, name, argument } = this.conflict;
    return `topology conflict on ${kind} '${name}'${argument ? ` (argument '${argument}')` : ''}`;
  }
}

function describeConflict({ kind, name, argument, declared, existing }: TopologyConflict): string {
  const difference = argument
    ? `its argument '${argument}' is ${existing} on the broker but warren declares ${declared}`
    : 'it exists with another type or other arguments than warren declares';
  const fix =
    kind === 'exchange'
      ? `delete the exchange (rabbitmqadmin delete exchange name=${name}, or the management UI; warren and producers re-declare it) or point EVENTS_EXCHANGE at another name`
      : `drain and delete the queue (rabbitmqctl delete_queue ${name}) so warren re-creates it, or give the handler another queue name`;
  return `topology conflict on ${kind} '${name}': ${difference}. Fix: ${fix}`;
}
