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
import type { HandlerBinding } from './handler-binding.js';
import type { RabbitContext } from '../context/rabbit-context.js';

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
 * interceptor, another pipe or filter on the method or its class, a parameter decorator other
 * than a plain `@Payload()` / `@Ctx()`, a request-scoped controller, or anything global that
 * HandlerBinding cannot rule out (a handler bound without one has unknown globals). `plan` says
 * which. Everything it reads is public: the handler's own decorator metadata and HandlerBinding.
 */
export class DirectInvocation {
  private constructor(
    private readonly instance: object,
    private readonly method: (...args: unknown[]) => unknown,
    private readonly args: readonly Argument[],
    private readonly argsLength: number,
  ) {}

  /**
   * The direct call of `method` (the `@HandleEvent` / `@HandleRequest` method), or why Nest's pipeline must
   * run (`reason`). `binding` is what warren knows of the app Nest bound it in (see HandlerBinding); without
   * one, Nest's pipeline runs: its global enhancers are unknown, and unknown is never read as "none".
   */
  static plan(
    method: object | undefined,
    binding: HandlerBinding | undefined,
  ): { direct: DirectInvocation; reason?: undefined } | { direct?: undefined; reason: string } {
    if (method === undefined) {
      return { reason: 'it was not bound by @HandleEvent / @HandleRequest' };
    }
    if (binding === undefined) {
      return { reason: 'it was not bound through connectRabbitServer() or createRabbitMicroservice(): the global enhancers around it are unknown' };
    }
    if (binding.globalEnhancer !== undefined) {
      return { reason: binding.globalEnhancer };
    }
    const handler = method as (...args: unknown[]) => unknown;
    const { instance, reason } = binding.controllerOf(handler);
    if (instance === undefined) {
      return { reason };
    }
    const own = reasonInOwnMetadata(instance, handler);
    if (own !== undefined) {
      return { reason: own };
    }
    const { args, argsLength } = argumentsOf(instance, handler);
    return { direct: new DirectInvocation(instance, handler, args, argsLength) };
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

/** What on the method, its class or its parameters needs Nest's pipeline; undefined if nothing does. */
function reasonInOwnMetadata(instance: object, method: (...args: unknown[]) => unknown): string | undefined {
  const targets = [instance.constructor, method];
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
  for (const [key, param] of Object.entries(paramsOf(instance, method) ?? {})) {
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
