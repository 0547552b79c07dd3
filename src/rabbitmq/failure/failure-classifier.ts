import { HttpException } from '@nestjs/common';
import { DecodeError } from '../errors/decode.error.js';
import { MessageTooLargeError } from '../errors/message-too-large.error.js';
import { NoHandlerError } from '../errors/no-handler.error.js';
import { NonRetryableError } from '../errors/non-retryable.error.js';

/**
 * Poison never loops: a message that cannot be read, fails validation, has no handler, overflows
 * the stack, or whose handler said retrying is pointless goes to the DLQ at once. Everything else (a
 * downstream timeout, a refused connection, a bug that a deploy may fix) is retried.
 */
export function isRetryable(error: unknown): boolean {
  if (
    error instanceof DecodeError ||
    error instanceof MessageTooLargeError ||
    error instanceof NoHandlerError ||
    error instanceof NonRetryableError
  ) {
    return false;
  }
  // 4xx from the pipeline (ValidationPipe's BadRequestException, a pipe's 422): the same
  // input fails the same way next time.
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return status < 400 || status >= 500;
  }
  // A stack overflow comes from the input's shape (deep nesting met by recursive code): the same
  // message overflows the same way on every attempt.
  if (isStackOverflow(error)) {
    return false;
  }
  return true;
}

/** V8's "Maximum call stack size exceeded". */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}
