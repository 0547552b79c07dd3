import { ConsoleLogger } from '@nestjs/common';
import { currentCorrelationId, redactText } from '../rabbitmq/index.js';

type JsonLogObject = ReturnType<ConsoleLogger['getJsonLogObject']>;

/**
 * Nest's JSON console logger, one object per line, plus the correlation id of the request or
 * message being handled (so one request can be followed from HTTP through every handler), and
 * AMQP URL passwords masked in every message as a last line of defence.
 */
export class JsonLogger extends ConsoleLogger {
  constructor() {
    super({ json: true });
  }

  protected override getJsonLogObject(message: unknown, options: Parameters<ConsoleLogger['getJsonLogObject']>[1]): JsonLogObject {
    const record = super.getJsonLogObject(typeof message === 'string' ? redactText(message) : message, options);
    const correlationId = currentCorrelationId();
    return correlationId ? { ...record, correlationId } : record;
  }
}
