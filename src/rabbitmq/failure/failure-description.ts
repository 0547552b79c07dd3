import { HttpException } from '@nestjs/common';
import { MAX_ERROR_MESSAGE_LENGTH } from '../rabbitmq.constants.js';

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
    return { type: 'ValidationError', message: truncate(detail) };
  }
  if (error instanceof Error) {
    return { type: error.name || error.constructor.name, message: truncate(error.message) };
  }
  return { type: 'NonErrorThrown', message: truncate(safeString(error)) };
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_MESSAGE_LENGTH ? `${text.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1)}…` : text;
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
