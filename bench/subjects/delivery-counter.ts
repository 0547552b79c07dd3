/**
 * Preloaded into poison-scenario subjects (`node --import …/delivery-counter.js`): counts every `basic.deliver` the
 * process receives, whether or not a handler ever sees it (an invalid-JSON body never reaches one), by wrapping
 * amqplib's BaseChannel#handleDelivery — in the top-level amqplib (warren, Nest) and in the copy golevelup brings.
 * The count is read by the subjects as `globalThis.benchDeliveries` and reported in their `status` messages.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface Countable {
  prototype: { handleDelivery(message: unknown): unknown };
}

const counter = globalThis as typeof globalThis & { benchDeliveries?: number };
counter.benchDeliveries = 0;

const require = createRequire(import.meta.url);
/** A require that resolves as the given package would (golevelup brings its own amqplib). */
const from = (anchor: string): NodeJS.Require => createRequire(require.resolve(anchor));
for (const resolveFrom of [require, from('@golevelup/nestjs-rabbitmq')]) {
  let base: Countable | undefined;
  try {
    // By absolute path: amqplib's `exports` map hides lib/, and this is the module its own code loads.
    const main = resolveFrom.resolve('amqplib');
    base = (require(join(dirname(main), 'lib', 'channel.js')) as { BaseChannel?: Countable }).BaseChannel;
  } catch {
    continue; // that copy is not installed
  }
  if (!base) {
    continue;
  }
  const { prototype } = base;
  const original = Reflect.get<object, string>(prototype, 'handleDelivery') as (message: unknown) => unknown;
  prototype.handleDelivery = function (this: unknown, message: unknown): unknown {
    counter.benchDeliveries = (counter.benchDeliveries ?? 0) + 1;
    return original.call(this, message);
  };
}
