import type { HandlerDefinition } from '../server/handler-registry.js';
import { warrenHeadersSchema } from './catalogue-headers.js';
import { payloadSchema } from './dto-schema.js';
import type { ControllerCatalogue } from './handler-payloads.js';
import type { JsonSchema, PayloadShape } from './publishes.decorator.js';

/** Everything the document is made of, read from the module graph (see buildCatalogue). */
export interface CatalogueSource extends ControllerCatalogue {
  title: string;
  version: string;
  exchange: string;
  definitions: readonly HandlerDefinition[];
}

const AMQP_BINDING_VERSION = '0.3.0';
const HEADERS_TRAIT = 'warrenHeaders';

type Ref = { $ref: string };

/**
 * The AsyncAPI 3.0 document of a service: a channel per routing key it publishes or consumes (on
 * its topic exchange), a channel per queue it consumes, a `send` operation per published event, a
 * `receive` operation per handler (with its reply for a request handler). Deterministic: sorted,
 * so the committed docs/asyncapi.yaml compares equal when nothing changed.
 */
export function asyncApiDocument(source: CatalogueSource): JsonSchema {
  const messages: Record<string, JsonSchema> = {};
  const channels: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};

  /** The component message of a payload: named after its DTO or its schema's title, else `fallback`; an existing one of that name is kept. */
  const message = (shape: PayloadShape | undefined, fallback: string): string => {
    const name = typeof shape === 'function' ? shape.name : typeof shape?.title === 'string' ? safeKey(shape.title) : fallback;
    messages[name] ??= {
      name,
      contentType: 'application/json',
      payload: shape ? payloadSchema(shape) : { description: 'Not described: give the handler a DTO parameter' },
      traits: [{ $ref: `#/components/messageTraits/${HEADERS_TRAIT}` }],
    };
    return name;
  };
  /** A channel with `messageName` added to its messages; returns the operation's reference to that message. */
  const channel = (key: string, base: JsonSchema, messageName: string): { channel: Ref; message: Ref } => {
    const entry = (channels[key] ??= { ...base, messages: {} });
    (entry.messages as Record<string, Ref>)[messageName] = { $ref: `#/components/messages/${messageName}` };
    return { channel: { $ref: `#/channels/${key}` }, message: { $ref: `#/channels/${key}/messages/${messageName}` } };
  };
  const routingKeyChannel = (pattern: string, messageName: string) =>
    channel(
      safeKey(pattern),
      {
        address: pattern,
        description: `Events published to the topic exchange '${source.exchange}' with routing key '${pattern}'.`,
        bindings: { amqp: { is: 'routingKey', exchange: exchangeBinding(source.exchange), bindingVersion: AMQP_BINDING_VERSION } },
      },
      messageName,
    );
  const queueChannel = (queue: string, description: string, messageName: string) =>
    channel(safeKey(queue), { address: queue, description, bindings: { amqp: queueBinding(queue) } }, messageName);

  for (const { pattern, payload } of source.published) {
    const name = message(payload, pattern);
    const ref = routingKeyChannel(pattern, name);
    operations[safeKey(`publish.${pattern}`)] = { action: 'send', summary: `Publishes ${pattern}.`, channel: ref.channel, messages: [ref.message] };
  }
  for (const definition of source.definitions) {
    const { payload, reply } = source.handlers.get(definition.handlerName) ?? {};
    const name = message(payload, definition.pattern);
    if (definition.kind === 'request') {
      const request = queueChannel(definition.queue, `Requests '${definition.pattern}': send to this queue with replyTo and correlationId.`, name);
      const replyName = message(reply, `${definition.pattern}.reply`);
      const replies = channel(
        safeKey(`${definition.queue}.reply`),
        { address: null, description: `Replies to '${definition.pattern}', sent to the request's replyTo.` },
        replyName,
      );
      operations[safeKey(`request.${definition.pattern}`)] = {
        action: 'receive',
        summary: `Answers ${definition.pattern} (${definition.handlerName}).`,
        channel: request.channel,
        messages: [request.message],
        reply: { address: { location: '$message.header#/replyTo' }, channel: replies.channel, messages: [replies.message] },
      };
      continue;
    }
    if (!/[*#]/.test(definition.pattern)) routingKeyChannel(definition.pattern, name);
    const queue = queueChannel(
      definition.queue,
      `Queue of ${definition.handlerName}, bound to '${source.exchange}' with '${definition.pattern}'; ` +
        (definition.partitioning
          ? `ordered per key over ${definition.partitioning.count} partition queues '${definition.queue}.p<i>'; failures retry in place, then '${definition.queue}.dlq'.`
          : `failures ${definition.ordered ? 'retry in place' : 'go to retry queues'}, then '${definition.queue}.dlq'.`),
      name,
    );
    operations[safeKey(`consume.${definition.handlerName}`)] = {
      action: 'receive',
      summary: `${definition.handlerName} handles ${definition.pattern}${definition.partitioning ? ' in order per key' : definition.ordered ? ' in order' : ''}.`,
      channel: queue.channel,
      messages: [queue.message],
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: source.title,
      version: source.version,
      description: 'Events and requests of this service over RabbitMQ (warren). Generated from the code by `npm run asyncapi`: do not edit.',
    },
    defaultContentType: 'application/json',
    channels: sorted(channels),
    operations: sorted(operations),
    components: { messages: sorted(messages), messageTraits: { [HEADERS_TRAIT]: { headers: warrenHeadersSchema() } } },
  };
}

function exchangeBinding(name: string): JsonSchema {
  return { name, type: 'topic', durable: true, autoDelete: false, vhost: '/' };
}

function queueBinding(name: string): JsonSchema {
  return { is: 'queue', queue: { name, durable: true, exclusive: false, autoDelete: false, vhost: '/' }, bindingVersion: AMQP_BINDING_VERSION };
}

/** Component and channel keys allow letters, digits, `.`, `-` and `_` only (`inventory.*` → `inventory._`). */
function safeKey(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

function sorted<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
