import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RpcException } from '@nestjs/microservices';
import { catchError, type Observable, throwError } from 'rxjs';
import type { ResolvedRabbitMQOptions } from '../options/rabbitmq-options.interface.js';
import { RABBITMQ_RESOLVED_OPTIONS } from '../rabbitmq.constants.js';
import { RabbitContext } from '../server/rabbit-context.js';
import type { RetryPolicy } from './retry-policy.js';
import { RETRY_POLICY_METADATA } from './retry.decorator.js';

/**
 * Applied to every `@OnEvent` handler. It hands the transport the handler's retry policy
 * (`@Retry` or the module default) and, on failure, the original error: Nest's exception filter
 * would otherwise replace it by `{status, message: 'Internal server error'}` before the
 * transport sees it. It rethrows an RpcException, which Nest does not log again; the transport
 * classifies the failure (retry or dead-letter) and logs it once.
 */
@Injectable()
export class RetryPolicyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(RABBITMQ_RESOLVED_OPTIONS) private readonly options: ResolvedRabbitMQOptions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const rpcContext = context.getType() === 'rpc' ? context.switchToRpc().getContext() : undefined;
    if (!(rpcContext instanceof RabbitContext)) {
      return next.handle();
    }
    const policy = this.reflector.get<RetryPolicy | undefined>(RETRY_POLICY_METADATA, context.getHandler());
    rpcContext.setRetryPolicy(policy ?? this.options.retry);
    return next.handle().pipe(
      catchError((error: unknown) => {
        rpcContext.captureFailure(error);
        return throwError(() => new RpcException('handler failed'));
      }),
    );
  }
}
