import { HttpException } from '@nestjs/common';
import { redactText } from '../logging/redact-url.js';
import { MAX_ERROR_MESSAGE_LENGTH, MAX_ERROR_TYPE_LENGTH } from '../rabbitmq.constants.js';

/** The type and message of a failure, as written into dead-letter headers. */
export interface FailureDescription {
  type: string;
  message: string;
}

/**
 * Names a failure for operators. A ValidationPipe rejection (BadRequestException with the
 * class-validator messages) becomes `ValidationError` with the field messages.
 */
export function describeFailure(error: unknown): FailureDescription {
  if (error instanceof HttpException && error.getStatus() === 400) {
    const response = error.getResponse() as { message?: unknown };
    const detail = Array.isArray(response?.message)
      ? response.message.join('; ')
      : typeof response?.message === 'string'
        ? response.message
        : error.message;
    return failureOf('ValidationError', detail);
  }
  if (error instanceof Error) {
    return failureOf(errorType(error), error.message);
  }
  return failureOf('NonErrorThrown', safeString(error));
}

/**
 * The error's class name where its `name` is only inherited, else its `name`:
 * `class PaymentDeclined extends Error {}` and `class OrderWithoutCustomer extends NonRetryableError {}`
 * are named by their class (their `name` says `Error` and `NonRetryableError`), while a `name` the
 * code chose (`err.name = 'AbortError'`, `override readonly name = 'Custom'`) is kept.
 */
function errorType(error: Error): string {
  const ownClass = (error.constructor as { name?: unknown } | undefined)?.name;
  if (typeof ownClass !== 'string' || ownClass === '' || ownClass === error.name) {
    return error.name || 'Error';
  }
  for (let ancestor: unknown = Object.getPrototypeOf(error.constructor); typeof ancestor === 'function'; ancestor = Object.getPrototypeOf(ancestor)) {
    if ((ancestor as { name?: unknown }).name === error.name) {
      return ownClass;
    }
  }
  return error.name || ownClass;
}

/**
 * A failure as it may leave the handler (dead-letter headers, error replies): type and message
 * cut to their bounds, AMQP URL passwords masked. An error's name and message are whatever the
 * code that threw put there: a 100,000-character name, a connection URL with its password.
 */
export function failureOf(type: string, message: string): FailureDescription {
  return { type: truncate(redactText(type), MAX_ERROR_TYPE_LENGTH), message: truncate(redactText(message), MAX_ERROR_MESSAGE_LENGTH) };
}

function truncate(text: string, maxLength: number): string {
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
