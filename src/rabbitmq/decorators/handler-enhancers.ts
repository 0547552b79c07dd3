import { FailureCaptureFilter } from './failure-capture.filter.js';
import { EventPayloadPipe } from './event-payload.pipe.js';

/**
 * The pipe and filter `@HandleEvent` and `@HandleRequest` bind to every handler. Stateless, so one
 * instance of each serves every handler, and a handler bound with exactly these (and nothing a
 * team added) is recognised as such by DirectInvocation.
 */
export const HANDLER_PAYLOAD_PIPE = new EventPayloadPipe();
export const HANDLER_FAILURE_FILTER = new FailureCaptureFilter();
