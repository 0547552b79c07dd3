import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import type { DynamicModule } from '@nestjs/common';
import { withRegisteredHandlers } from '../../src/cli/handler-queues.js';

/** The queues a service consumes and every queue it declares (DLQs, retry queues, unrouted), from its module graph. */
export interface ServiceQueues {
  consumed: string[];
  declared: string[];
}

export async function discoverServiceQueues(module: DynamicModule): Promise<ServiceQueues> {
  return withRegisteredHandlers(module, (server) => ({ consumed: server.queues(), declared: server.declaredQueues() }));
}

/**
 * What is wrong with the ScaledObject's rabbitmq triggers for these queues: each consumed queue must be matched by
 * exactly one trigger, and no other declared queue (a DLQ, a retry or the unrouted queue: nothing consumes them) by
 * any. Triggers match by regex as RabbitMQ's management API does (PCRE, case-insensitive; the constructs used read
 * the same in JavaScript). An empty list means KEDA scales on exactly the queues the code consumes.
 */
export function kedaTriggerProblems(scaledObject: IScaledObject, queues: ServiceQueues): string[] {
  const triggers = scaledObject.spec.triggers.filter((trigger) => trigger.type === 'rabbitmq');
  const matchers = triggers.map((trigger) => {
    const { queueName, useRegex } = trigger.metadata;
    const name = String(trigger.name ?? queueName);
    if (useRegex !== 'true') return { name, matches: (queue: string) => queue === queueName };
    const regex = new RegExp(String(queueName), 'i');
    return { name, matches: (queue: string) => regex.test(queue) };
  });
  const problems: string[] = [];
  for (const queue of queues.consumed) {
    const matching = matchers.filter((matcher) => matcher.matches(queue)).map((matcher) => matcher.name);
    if (matching.length !== 1) {
      problems.push(
        `queue '${queue}' is matched by ${matching.length} rabbitmq triggers (${matching.join(', ')}), not one: ` +
          'keep the default queue name of @HandleEvent or add a trigger for it in k8s/keda/scaled-object.yaml',
      );
    }
  }
  for (const queue of queues.declared.filter((declared) => !queues.consumed.includes(declared))) {
    const matching = matchers.filter((matcher) => matcher.matches(queue)).map((matcher) => matcher.name);
    if (matching.length > 0) problems.push(`queue '${queue}' is not consumed, yet triggers ${matching.join(', ')} scale on it`);
  }
  return problems;
}
