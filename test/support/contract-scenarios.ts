import { setTimeout as delay } from 'node:timers/promises';
import { type CallHandler, Controller, type ExecutionContext, Injectable, type NestInterceptor, UseInterceptors } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { IsString } from 'class-validator';
import type { Observable } from 'rxjs';
import { NonRetryableError, HandleEvent, HandleRequest, RabbitClient, RabbitContext, Retry } from '../../src/rabbitmq/index.js';
import type { HandlerResult } from '../../src/rabbitmq/testing/index.js';

/**
 * The scenarios the harness/broker contract test runs both ways: through `warren/testing` and
 * through a real broker. Each exercises one decision of the pipeline (decode, validation,
 * interceptor, @Retry, classification, timeout, onward publish).
 */
export const CONTRACT_PATTERN = 'contract.*';
export const CONTRACT_OUT = 'contract-out.done';
export const CONTRACT_TIMEOUT_MS = 1_000;
export const CONTRACT_RETRY = { attempts: 2, delaysMs: [60_000, 120_000] };

export class ContractEvent {
  @IsString()
  id!: string;

  @IsString()
  mode!: string;
}

/** What the handler was called with, so both runs can compare the payload it saw. */
@Injectable()
export class SeenPayloads {
  readonly payloads: unknown[] = [];
}

/** A team's own interceptor: refuses blocked ids before the handler runs. */
@Injectable()
export class BlockListInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const event = context.switchToRpc().getData<{ id?: string }>();
    if (event?.id?.startsWith('blocked')) {
      throw new NonRetryableError(`id ${event.id} is blocked`);
    }
    return next.handle();
  }
}

@Controller()
export class ContractHandler {
  constructor(
    private readonly events: RabbitClient,
    private readonly seen: SeenPayloads,
  ) {}

  // Below @HandleEvent on purpose: warren's failure capture is outermost wherever a team's interceptor
  // stands, so the error this one throws is still classified (NonRetryableError: parked at once).
  @HandleEvent(CONTRACT_PATTERN, { timeoutMs: CONTRACT_TIMEOUT_MS })
  @UseInterceptors(BlockListInterceptor)
  @Retry(CONTRACT_RETRY)
  async onContract(@Payload() event: ContractEvent, @Ctx() context: RabbitContext): Promise<void> {
    this.seen.payloads.push(event);
    switch (event.mode) {
      case 'publish':
        await this.events.publish(CONTRACT_OUT, { id: event.id, retries: context.getRetryCount() });
        return;
      case 'fail':
        throw new Error(`downstream refused ${event.id}`);
      case 'poison':
        throw new NonRetryableError(`cannot handle ${event.id}`);
      case 'hang':
        // Unref'd: a test process need not wait for the abandoned handler.
        await delay(CONTRACT_TIMEOUT_MS * 3, undefined, { ref: false });
        return;
      default:
        return;
    }
  }
}

/** One message, published either as a payload (through RabbitClient's encoding) or as raw bytes. */
export interface ContractScenario {
  name: string;
  routingKey: string;
  payload?: unknown;
  raw?: { body: string; contentType?: string };
  headers?: Record<string, unknown>;
  correlationId?: string;
  /** What production must decide (checked on both runs, so they cannot agree on a wrong answer). */
  expected: Partial<ContractObservation>;
}

export const CONTRACT_SCENARIOS: ContractScenario[] = [
  {
    name: 'a valid event is acked',
    routingKey: 'contract.ok',
    payload: { id: 'a-1', mode: 'ok' },
    expected: { kind: 'ack', seen: { id: 'a-1', mode: 'ok' } },
  },
  {
    name: 'unknown fields are stripped, not refused',
    routingKey: 'contract.ok',
    payload: { id: 'a-2', mode: 'ok', addedLater: true },
    expected: { kind: 'ack', seen: { id: 'a-2', mode: 'ok' } },
  },
  {
    name: 'an onward event carries the correlation id',
    routingKey: 'contract.publish',
    payload: { id: 'p-1', mode: 'publish' },
    correlationId: 'corr-p-1',
    expected: { kind: 'ack', published: [{ pattern: CONTRACT_OUT, payload: { id: 'p-1', retries: 0 }, correlationId: 'corr-p-1' }] },
  },
  {
    name: 'a missing field is parked as ValidationError',
    routingKey: 'contract.bad',
    payload: { id: 'v-1' },
    expected: { kind: 'dead-letter', errorType: 'ValidationError' },
  },
  {
    name: 'a non-object payload is parked as ValidationError',
    routingKey: 'contract.bad',
    payload: 'just a string',
    expected: { kind: 'dead-letter', errorType: 'ValidationError' },
  },
  {
    name: 'undecodable JSON is parked as DecodeError',
    routingKey: 'contract.raw',
    raw: { body: '{"id": "d-1", ', contentType: 'application/json' },
    expected: { kind: 'dead-letter', errorType: 'DecodeError' },
  },
  {
    name: 'an unknown content type is parked as DecodeError',
    routingKey: 'contract.raw',
    raw: { body: 'id=d-2', contentType: 'text/plain' },
    expected: { kind: 'dead-letter', errorType: 'DecodeError' },
  },
  {
    name: 'a failure is retried with the first @Retry delay',
    routingKey: 'contract.fail',
    payload: { id: 'f-1', mode: 'fail' },
    expected: { kind: 'retry', attempt: 1, delayMs: 60_000, errorType: 'Error' },
  },
  {
    name: 'the second retry takes the second delay',
    routingKey: 'contract.fail',
    payload: { id: 'f-2', mode: 'fail' },
    headers: { 'x-retry-count': 1 },
    expected: { kind: 'retry', attempt: 2, delayMs: 120_000 },
  },
  {
    name: 'the last attempt is parked with its retry count',
    routingKey: 'contract.fail',
    payload: { id: 'f-3', mode: 'fail' },
    headers: { 'x-retry-count': 2 },
    expected: { kind: 'dead-letter', retryCount: 2, errorType: 'Error' },
  },
  {
    name: 'NonRetryableError is parked at once',
    routingKey: 'contract.poison',
    payload: { id: 'n-1', mode: 'poison' },
    expected: { kind: 'dead-letter', errorType: 'NonRetryableError' },
  },
  {
    name: 'a team interceptor runs before the handler',
    routingKey: 'contract.ok',
    payload: { id: 'blocked-1', mode: 'ok' },
    expected: { kind: 'dead-letter', errorType: 'NonRetryableError', seen: undefined },
  },
  {
    name: 'a handler over its timeout is retried',
    routingKey: 'contract.hang',
    payload: { id: 'h-1', mode: 'hang' },
    expected: { kind: 'retry', attempt: 1, errorType: 'HandlerTimeoutError' },
  },
];

/** What a scenario ended as, in terms both runs can observe; equal between harness and broker. */
export interface ContractObservation {
  kind: HandlerResult['kind'];
  /** Retry: which attempt and delay; park: the retry count. */
  attempt?: number;
  delayMs?: number;
  retryCount?: number;
  errorType?: string;
  errorMessage?: string;
  /** x-handler and x-original-routing-key of the copy, and that it kept the message id. */
  handlerHeader?: unknown;
  originalRoutingKey?: unknown;
  keptMessageId?: boolean;
  /** What the handler was called with (undefined when it was not called). */
  seen?: unknown;
  published: { pattern: string; payload: unknown; correlationId?: string }[];
}

/** The request pattern of the request/reply scenarios (its queue is `<exchange>.rpc.contract.ask`). */
export const CONTRACT_REQUEST = 'contract.ask';

/** Answers requests: the same decisions as the event handler, but every outcome is a reply (never a retry or a park). */
@Controller()
export class ContractResponder {
  constructor(private readonly events: RabbitClient) {}

  // @Retry is ignored for requests on both sides: a failure is replied at once.
  @HandleRequest(CONTRACT_REQUEST, { timeoutMs: CONTRACT_TIMEOUT_MS })
  @Retry(CONTRACT_RETRY)
  async ask(@Payload() query: ContractEvent): Promise<unknown> {
    switch (query.mode) {
      case 'echo':
        return { id: query.id, echoed: true };
      case 'publish':
        await this.events.publish(CONTRACT_OUT, { id: query.id, retries: 0 });
        return 'published';
      case 'fail':
        throw new Error(`cannot answer ${query.id}`);
      case 'poison':
        throw new NonRetryableError(`will never answer ${query.id}`);
      case 'hang':
        await delay(CONTRACT_TIMEOUT_MS * 3, undefined, { ref: false });
        return 'too late';
      default:
        return undefined;
    }
  }
}

/** One request, asked through `harness.request()` and through `RabbitClient.request()` on the broker. */
export interface RequestContractScenario {
  name: string;
  payload: unknown;
  /** The caller's correlation id, carried in the request's header onto the handler's events. */
  correlationId?: string;
  expected: Partial<RequestContractObservation>;
}

/** What the caller got, and what the handler published; equal between harness and broker. */
export interface RequestContractObservation {
  /** The reply's value, when the request succeeded. */
  value?: unknown;
  /** The error the caller got: its class name and, for a RemoteHandlerError, the remote type and message. */
  error?: { name: string; remoteType?: string; remoteMessage?: string };
  published: { pattern: string; payload: unknown; correlationId?: string }[];
}

export const REQUEST_CONTRACT_SCENARIOS: RequestContractScenario[] = [
  {
    name: 'a request is answered with the handler value',
    payload: { id: 'r-1', mode: 'echo' },
    expected: { value: { id: 'r-1', echoed: true }, published: [] },
  },
  {
    name: 'a handler returning nothing replies undefined',
    payload: { id: 'r-2', mode: 'nothing' },
    expected: { value: undefined, published: [] },
  },
  {
    name: "a request handler's event carries the caller's correlation id",
    payload: { id: 'r-3', mode: 'publish' },
    correlationId: 'corr-r-3',
    expected: { value: 'published', published: [{ pattern: CONTRACT_OUT, payload: { id: 'r-3', retries: 0 }, correlationId: 'corr-r-3' }] },
  },
  {
    name: 'a failing request handler is answered with its error at once, @Retry notwithstanding',
    payload: { id: 'r-4', mode: 'fail' },
    expected: { error: { name: 'RemoteHandlerError', remoteType: 'Error', remoteMessage: 'cannot answer r-4' } },
  },
  {
    name: 'NonRetryableError is answered as such',
    payload: { id: 'r-5', mode: 'poison' },
    expected: { error: { name: 'RemoteHandlerError', remoteType: 'NonRetryableError', remoteMessage: 'will never answer r-5' } },
  },
  {
    name: 'a payload the DTO rejects is answered with a ValidationError',
    payload: { id: 'r-6' },
    expected: { error: { name: 'RemoteHandlerError', remoteType: 'ValidationError' } },
  },
  {
    name: 'a request handler over its timeout is answered with HandlerTimeoutError',
    payload: { id: 'r-7', mode: 'hang' },
    expected: { error: { name: 'RemoteHandlerError', remoteType: 'HandlerTimeoutError' } },
  },
];
