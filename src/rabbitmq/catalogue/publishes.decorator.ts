/** A JSON Schema (draft 7 subset, as AsyncAPI 3 takes it) for a payload with no class-validator DTO. */
export type JsonSchema = Record<string, unknown>;

/** A class-validator DTO class. */
export type DtoClass = abstract new (...args: never[]) => unknown;

/** A payload's shape in the catalogue: a class-validator DTO class, or an explicit JSON Schema. */
export type PayloadShape = DtoClass | JsonSchema;

/** One event a class publishes. */
export interface PublishedEvent {
  pattern: string;
  payload: PayloadShape;
}

const PUBLISHES_METADATA = 'warren:publishes';
const REPLIES_METADATA = 'warren:replies';

/**
 * Lists an event this controller or handler publishes in the event catalogue (docs/asyncapi.yaml):
 * `@Publishes(ORDER_CREATED, OrderCreatedEvent)`. The payload is a class-validator DTO or a JSON
 * Schema. Repeat it for each event; it changes nothing at run time.
 */
export function Publishes(pattern: string, payload: PayloadShape): ClassDecorator {
  return (target) => {
    // Decorators apply bottom-up: prepending keeps the order they are written in.
    Reflect.defineMetadata(PUBLISHES_METADATA, [{ pattern, payload }, ...publishedBy(target)], target);
  };
}

/** The reply of a `@HandleRequest` method in the catalogue (a DTO or a JSON Schema): its return type is not kept at run time. */
export function Replies(payload: PayloadShape): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(REPLIES_METADATA, payload, descriptor.value as object);
  };
}

/** The events `@Publishes` lists on a class, in the order written. */
export function publishedBy(target: object): PublishedEvent[] {
  return (Reflect.getMetadata(PUBLISHES_METADATA, target) as PublishedEvent[] | undefined) ?? [];
}

/** The reply shape `@Replies` gives a method, if any. */
export function replyOf(method: object): PayloadShape | undefined {
  return Reflect.getMetadata(REPLIES_METADATA, method) as PayloadShape | undefined;
}
