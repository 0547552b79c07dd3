import type { ArgumentMetadata } from '@nestjs/common';
import {
  CUSTOM_ROUTE_ARGS_METADATA,
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PARAMTYPES_METADATA,
  PIPES_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants.js';
import { RpcParamtype } from '@nestjs/microservices/enums/rpc-paramtype.enum.js';

/** Nest's parameter metadata keys are `<RpcParamtype>:<index>` (custom decorators add a suffix). */
const PAYLOAD_TYPE: number = RpcParamtype.PAYLOAD;
const CONTEXT_TYPE: number = RpcParamtype.CONTEXT;
const paramTypeOf = (key: string): number => Number(key.split(':')[0]);
import { HANDLER_FAILURE_FILTER, HANDLER_PAYLOAD_PIPE } from '../decorators/handler-enhancers.js';
import type { PipelineBuild } from './nest-pipeline-builds.js';
import type { RabbitContext } from './rabbit-context.js';

/** One argument of the handler method: the payload or the context, at its position. */
interface Argument {
  index: number;
  kind: 'payload' | 'context';
  /** What Nest would hand the payload pipe for this parameter. */
  metadata: ArgumentMetadata;
}

/**
 * Calls a handler method straight, when Nest's pipeline around it would do nothing but what
 * warren's own decorator put there: the payload pipe (EventPayloadPipe) and the failure filter.
 * Nest's pipeline costs about a third of a consumed message's CPU and half of its allocations
 * (the drain profile in docs/performance.md: a chain of async functions, argument arrays, a
 * `Promise.all` over the parameters), for a no-op. What this does instead is what that pipeline
 * does in that case, in the same order: build the arguments from `@Payload()` / `@Ctx()`, run
 * the payload through the same pipe, call the method on the same instance, hand back what it
 * returns (a value, a Promise or an Observable). A thrown error reaches the transport as thrown,
 * which is what the failure filter achieves on Nest's path.
 *
 * A handler gets Nest's pipeline instead as soon as anything else could run there: a guard, an
 * interceptor, another pipe or filter (on the method, its class, or global to the app config its
 * pipeline was built with), a pre-request hook, a parameter decorator other than a plain
 * `@Payload()` / `@Ctx()`, or a request-scoped controller. `reasonForNestPipeline` says which.
 */
export class DirectInvocation {
  private constructor(
    private readonly instance: object,
    private readonly method: (...args: unknown[]) => unknown,
    private readonly args: readonly Argument[],
    private readonly argsLength: number,
  ) {}

  /** The direct call for this build, or why Nest's pipeline must run (`reason`). */
  static plan(build: PipelineBuild | undefined): { direct: DirectInvocation; reason?: undefined } | { direct?: undefined; reason: string } {
    const reason = reasonForNestPipeline(build);
    if (reason !== undefined || build === undefined) {
      return { reason: reason ?? 'no pipeline build' };
    }
    const method = build.callback as (...args: unknown[]) => unknown;
    const { args, argsLength } = argumentsOf(build.instance, method);
    return { direct: new DirectInvocation(build.instance, method, args, argsLength) };
  }

  /**
   * Runs the handler for one delivery: synchronous unless the payload pipe validates a DTO (a
   * promise) or the handler itself is async. Throws (or rejects with) the handler's own error.
   */
  invoke(payload: unknown, context: RabbitContext): unknown {
    const values = new Array<unknown>(this.argsLength);
    let pending: Promise<unknown>[] | undefined;
    for (const argument of this.args) {
      const value = HANDLER_PAYLOAD_PIPE.transform(argument.kind === 'payload' ? payload : context, argument.metadata);
      if (value instanceof Promise) {
        (pending ??= []).push(
          value.then((resolved: unknown) => {
            values[argument.index] = resolved;
          }),
        );
      } else {
        values[argument.index] = value;
      }
    }
    if (pending === undefined) {
      return this.method.apply(this.instance, values);
    }
    return Promise.all(pending).then((): unknown => this.method.apply(this.instance, values));
  }
}

/** Why the handler of this build must run through Nest's pipeline; undefined if it need not. */
export function reasonForNestPipeline(build: PipelineBuild | undefined): string | undefined {
  if (build === undefined) {
    // Nest builds a request-scoped controller's pipeline per message, not when it registers it.
    return 'Nest built no pipeline for it at registration (a request-scoped controller, or not bound by @HandleEvent / @HandleRequest)';
  }
  if (!build.isStatic) {
    return 'its controller is request-scoped';
  }
  const config = build.config;
  if (config) {
    const global: [string, unknown[]][] = [
      ['global guards', config.getGlobalGuards()],
      ['global interceptors', config.getGlobalInterceptors()],
      ['global pipes', config.getGlobalPipes()],
      ['global exception filters', config.getGlobalFilters()],
      ['pre-request hooks', config.getGlobalPreRequestHooks?.() ?? []],
    ];
    const bound = global.find(([, items]) => items.length > 0);
    if (bound) {
      return `its app config has ${bound[0]}`;
    }
  }
  const targets = [build.instance.constructor, build.callback as object];
  const own = (key: string): unknown[] => targets.flatMap((target) => (Reflect.getMetadata(key, target) as unknown[] | undefined) ?? []);
  if (own(GUARDS_METADATA).length > 0) {
    return 'it has guards';
  }
  if (own(INTERCEPTORS_METADATA).length > 0) {
    return 'it has interceptors';
  }
  const pipes = own(PIPES_METADATA);
  if (pipes.some((pipe) => pipe !== HANDLER_PAYLOAD_PIPE)) {
    return 'it has pipes of its own';
  }
  if (own(EXCEPTION_FILTERS_METADATA).some((filter) => filter !== HANDLER_FAILURE_FILTER)) {
    return 'it has exception filters of its own';
  }
  if (!pipes.includes(HANDLER_PAYLOAD_PIPE)) {
    return "it lacks warren's payload pipe (a plain @EventPattern / @MessagePattern)";
  }
  for (const [key, param] of Object.entries(paramsOf(build.instance, build.callback as { name: string }) ?? {})) {
    const type = paramTypeOf(key);
    if (key.includes(CUSTOM_ROUTE_ARGS_METADATA) || (type !== PAYLOAD_TYPE && type !== CONTEXT_TYPE)) {
      return `parameter ${param.index} has a custom decorator`;
    }
    if (param.data !== undefined || (param.pipes?.length ?? 0) > 0) {
      return `parameter ${param.index} takes a property or pipes (@Payload('field') / @Payload(pipe))`;
    }
  }
  return undefined;
}

interface ParamMetadata {
  index: number;
  data?: unknown;
  pipes?: unknown[];
}

/** The method's parameter decorators (`@Payload()`, `@Ctx()`…) as Nest records them, keyed `<type>:<index>`; undefined without any. */
function paramsOf(instance: object, method: { name: string }): Record<string, ParamMetadata> | undefined {
  return Reflect.getMetadata(ROUTE_ARGS_METADATA, instance.constructor, method.name) as Record<string, ParamMetadata> | undefined;
}

/** The arguments as Nest's pipeline builds them: by the parameter decorators, else the payload alone. */
function argumentsOf(instance: object, method: (...args: unknown[]) => unknown): { args: Argument[]; argsLength: number } {
  // Nest's default for a method without parameter decorators: the payload as the first argument.
  const params = paramsOf(instance, method) ?? { [`${PAYLOAD_TYPE}:0`]: { index: 0 } };
  const paramtypes = (Reflect.getMetadata(PARAMTYPES_METADATA, instance, method.name) ?? []) as ArgumentMetadata['metatype'][];
  const args = Object.entries(params).map(([key, { index }]): Argument => {
    const payload = paramTypeOf(key) === PAYLOAD_TYPE;
    // The token Nest's PipesConsumer gives the pipe: 'body' for the payload, 'custom' for the context.
    return {
      index,
      kind: payload ? 'payload' : 'context',
      metadata: { type: payload ? 'body' : 'custom', metatype: paramtypes[index], data: undefined },
    };
  });
  const argsLength = Math.max(0, ...args.map((argument) => argument.index + 1));
  return { args, argsLength };
}
