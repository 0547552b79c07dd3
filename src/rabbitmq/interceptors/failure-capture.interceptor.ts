import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { catchError, type Observable, throwError } from 'rxjs';
import { RabbitContext } from '../server/rabbit-context.js';

/**
 * Nest's exception filter turns any handler error into `{status, message: 'Internal server
 * error'}` before the transport sees it. This interceptor (inside the filter, around pipes and
 * the handler) records the original error on the RabbitContext so the transport can classify
 * it and write its type and message into the dead-letter headers. It rethrows an RpcException,
 * which Nest does not log again; the transport logs the failure once.
 */
@Injectable()
export class FailureCaptureInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const rpcContext = context.getType() === 'rpc' ? context.switchToRpc().getContext() : undefined;
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
