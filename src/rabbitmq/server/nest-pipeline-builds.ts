import type { ApplicationConfig } from '@nestjs/core';
import { PipesContextCreator, STATIC_CONTEXT } from '@nestjs/core/internal';

/** What Nest had in hand when it built one handler's pipeline. */
export interface PipelineBuild {
  /** The controller instance the handler method is called on. */
  instance: object;
  /** The handler method. */
  callback: unknown;
  /**
   * The ApplicationConfig whose global guards, interceptors, pipes and filters this pipeline got:
   * the app's own (standalone microservice, or `inheritAppConfig: true`) or the hybrid
   * microservice's own (`inheritAppConfig: false`). No public API tells a transport which one.
   */
  config: ApplicationConfig | undefined;
  /** A singleton controller (not request-scoped or durable): one instance serves every delivery. */
  isStatic: boolean;
}

let last: PipelineBuild | undefined;
let watching = false;

/**
 * Starts noting, for each handler Nest binds, the instance and the ApplicationConfig its
 * pipeline was built with. Nest builds a handler's pipeline (RpcContextCreator.create, which asks
 * PipesContextCreator.create first) and then, synchronously, calls the transport's
 * `addHandler`: so what was noted last is that handler's build. Idempotent; call it before Nest
 * registers handlers (a transport's constructor). Behaviour of the wrapped method is unchanged.
 */
export function watchPipelineBuilds(): void {
  if (watching) {
    return;
  }
  watching = true;
  // Called with its own `this` below (call), never detached.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const create = PipesContextCreator.prototype.create;
  PipesContextCreator.prototype.create = function (
    this: PipesContextCreator,
    instance: object,
    callback: (...args: unknown[]) => unknown,
    moduleKey: string,
    contextId = STATIC_CONTEXT,
    inquirerId?: string,
  ) {
    // `config` is private in Nest's typings: the one the creator was built with (see PipelineBuild.config).
    const { config } = this as unknown as { config?: ApplicationConfig };
    last = { instance, callback, config, isStatic: contextId === STATIC_CONTEXT && inquirerId === undefined };
    return create.call(this, instance, callback, moduleKey, contextId, inquirerId);
  } as typeof create;
}

/**
 * The build noted for `method` if it is the last one (then forgotten), else undefined: a handler
 * bound some other way (or a Nest that builds pipelines differently) simply gets no build.
 */
export function takePipelineBuild(method: unknown): PipelineBuild | undefined {
  const build = last;
  last = undefined;
  return build !== undefined && method !== undefined && build.callback === method ? build : undefined;
}
