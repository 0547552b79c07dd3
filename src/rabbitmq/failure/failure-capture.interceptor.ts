import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { catchError, type Observable, throwError } from 'rxjs';
import { RabbitContext } from '../server/rabbit-context.js';

/**
 * Applied to every `@HandleEvent` handler. On failure it hands the transport the original error:
 * Nest's exception filter would otherwise replace it by `{status, message: 'Internal server error'}`
 * before the transport sees it. It rethrows an RpcException, which Nest does not log again; the
 * transport classifies the failure (retry or dead-letter) and logs it once. The retry policy is
 * not its concern: it is resolved once, at registration (HandlerRegistry).
 */
@Injectable()
export class FailureCaptureInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const rpcContext = context.getType() === 'rpc' ? context.switchToRpc().getContext<unknown>() : undefined;
    if (!(rpcContext instanceof RabbitContext)) {
      return next.handle();
    }
    return next.handle().pipe(
      catchError((error: unknown) => {
        rpcContext.captureFailure(error);
        return throwError(() => new RpcException('handler failed'));
      }),
    );
  }
}
