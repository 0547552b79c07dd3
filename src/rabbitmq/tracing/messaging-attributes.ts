/**
 * Span attribute names of the OpenTelemetry messaging semantic conventions (kept here rather
 * than importing `@opentelemetry/semantic-conventions`: warren depends on `@opentelemetry/api` only).
 */
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_SUBSCRIPTION_NAME = 'messaging.destination.subscription.name';
export const ATTR_MESSAGING_ROUTING_KEY = 'messaging.rabbitmq.destination.routing_key';
export const ATTR_MESSAGING_DELIVERY_TAG = 'messaging.rabbitmq.message.delivery_tag';
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const ATTR_MESSAGING_CONVERSATION_ID = 'messaging.message.conversation_id';
export const ATTR_MESSAGING_BODY_SIZE = 'messaging.message.body.size';
export const ATTR_ERROR_TYPE = 'error.type';
/** warren's own: how many times this message was retried before this attempt (0 on the first). */
export const ATTR_WARREN_RETRY_COUNT = 'warren.retry.count';
/** warren's own: how the delivery was settled (`ack`, `retry`, `dead-letter`). */
export const ATTR_WARREN_OUTCOME = 'warren.outcome';

export const MESSAGING_SYSTEM_RABBITMQ = 'rabbitmq';
/** warren's own, on a link: why the spans are linked (`first-attempt`: this delivery retries that one). */
export const ATTR_WARREN_LINK = 'warren.link';
