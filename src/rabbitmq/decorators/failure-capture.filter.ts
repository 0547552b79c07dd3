import { type ArgumentsHost, Catch, type RpcExceptionFilter } from '@nestjs/common';
import { BaseRpcExceptionFilter, RpcException } from '@nestjs/microservices';
import { type Observable, throwError } from 'rxjs';
import { RabbitContext } from '../context/rabbit-context.js';

/**
 * Bound by `@HandleEvent` to every handler: hands the transport the handler's original error
 * (Nest's default filter would replace it by `{status, message: 'Internal server error'}` and log
 * it). A filter, not an interceptor: it runs only when something failed, so a handler that
 * succeeds pays for no interceptor, rxjs chain or async scope (the drain profile,
 * docs/performance.md). Guards, pipes and interceptors a team adds still run as before; a guard's
 * refusal and an error an interceptor maps reach the transport as they leave the pipeline.
 * Errors of other transports go to Nest's default filter, unchanged. The retry policy is not its
 * concern: it is resolved once, at registration (HandlerRegistry).
 */
@Catch()
export class FailureCaptureFilter implements RpcExceptionFilter<unknown> {
  private readonly fallback = new BaseRpcExceptionFilter();

  catch(error: unknown, host: ArgumentsHost): Observable<never> {
    const context: unknown = host.getType() === 'rpc' ? host.switchToRpc().getContext() : undefined;
    if (!(context instanceof RabbitContext)) {
      return this.fallback.catch(error, host) as Observable<never>;
    }
    context.captureFailure(error);
    // Not logged by Nest; the transport classifies the failure (retry or dead-letter) and logs it once.
    return throwError(() => new RpcException('handler failed'));
  }
}
