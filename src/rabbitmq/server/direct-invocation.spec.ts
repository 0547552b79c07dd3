import { afterEach, describe, expect, it } from '@jest/globals';
import {
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  Catch,
  Controller,
  type ExceptionFilter,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  type PipeTransform,
  type Provider,
  Scope,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { IsInt, IsString } from 'class-validator';
import { map, type Observable, throwError } from 'rxjs';
import { HandleEvent, HandleRequest, RabbitContext } from '../index.js';
import { HandlerHarness, type HandlerHarnessConfig } from '../testing/index.js';

/** Every run of an enhancer or handler, in order. */
@Injectable()
class Trail {
  readonly steps: string[] = [];
}

@Injectable()
class TrailInterceptor implements NestInterceptor {
  constructor(private readonly trail: Trail) {}
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    this.trail.steps.push('interceptor');
    return next.handle().pipe(map((value: unknown) => ({ intercepted: value })));
  }
}

@Injectable()
class UppercasePipe implements PipeTransform {
  constructor(private readonly trail: Trail) {}
  transform(value: unknown): unknown {
    this.trail.steps.push('pipe');
    return typeof value === 'object' && value !== null && 'name' in value ? { ...value, name: String(value.name).toUpperCase() } : value;
  }
}

@Injectable()
class RefuseGuard implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

/** Notes every error it sees and hands it on unchanged. */
@Catch()
@Injectable()
class TrailFilter implements ExceptionFilter {
  constructor(private readonly trail: Trail) {}
  catch(error: Error, _host: ArgumentsHost): Observable<never> {
    this.trail.steps.push(`filter ${error.message}`);
    return throwError(() => error);
  }
}

class OrderDto {
  @IsString()
  id!: string;

  @IsInt()
  quantity!: number;
}

@Controller()
class Handlers {
  constructor(private readonly trail: Trail) {}

  @HandleEvent('plain.event')
  onPlain(@Payload() payload: unknown, @Ctx() context: RabbitContext): void {
    this.trail.steps.push(`plain ${JSON.stringify(payload)} ${context.getPattern()}`);
  }

  @HandleEvent('bare.event')
  onBare(payload: unknown, second: unknown): void {
    // Nest hands a method without parameter decorators the payload alone.
    this.trail.steps.push(`bare ${JSON.stringify(payload)} ${String(second)}`);
  }

  @HandleEvent('dto.event')
  async onDto(@Payload() order: OrderDto): Promise<void> {
    await Promise.resolve();
    this.trail.steps.push(`dto ${order instanceof OrderDto} ${JSON.stringify(order)}`);
  }

  @HandleEvent('throwing.event')
  onThrowing(): void {
    throw new TypeError('handler broke');
  }

  @HandleEvent('intercepted.event')
  @UseInterceptors(TrailInterceptor)
  onIntercepted(@Payload() payload: unknown): void {
    this.trail.steps.push(`intercepted ${JSON.stringify(payload)}`);
  }

  @HandleEvent('piped.event')
  @UsePipes(UppercasePipe)
  onPiped(@Payload() payload: unknown): void {
    this.trail.steps.push(`piped ${JSON.stringify(payload)}`);
  }

  @HandleEvent('guarded.event')
  @UseGuards(RefuseGuard)
  onGuarded(): void {
    this.trail.steps.push('guarded ran');
  }

  @HandleEvent('field.event')
  onField(@Payload('name') name: unknown): void {
    this.trail.steps.push(`field ${String(name)}`);
  }

  @EventPattern('nest.event')
  onNestPattern(@Payload() payload: unknown): void {
    this.trail.steps.push(`nest ${JSON.stringify(payload)}`);
  }

  // Above @HandleEvent: Nest asks it before warren's own filter (the last method filter declared is asked first).
  @UseFilters(TrailFilter)
  @HandleEvent('filtered.event')
  onFiltered(): void {
    throw new Error('filtered broke');
  }

  @HandleRequest('intercepted.request')
  @UseInterceptors(TrailInterceptor)
  answerIntercepted(@Payload() payload: { n: number }): number {
    return payload.n * 2;
  }

  @HandleRequest('plain.request')
  answerPlain(@Payload() payload: { n: number }): number {
    return payload.n * 3;
  }
}

@Controller({ scope: Scope.REQUEST })
class RequestScopedHandlers {
  @HandleEvent('scoped.event')
  onScoped(): void {}
}

@Controller()
@UseInterceptors(TrailInterceptor)
class InterceptedClass {
  constructor(private readonly trail: Trail) {}

  @HandleEvent('class-intercepted.event')
  onEvent(): string {
    this.trail.steps.push('class-intercepted ran');
    return 'done';
  }
}

/** Refuses events marked `blocked`. */
@Injectable()
class BlockGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return !(context.switchToRpc().getData<{ blocked?: boolean }>()?.blocked ?? false);
  }
}

@Controller()
@UseGuards(BlockGuard)
@UsePipes(UppercasePipe)
@UseFilters(TrailFilter)
class EnhancedClass {
  constructor(private readonly trail: Trail) {}

  @HandleEvent('class-enhanced.event')
  onEvent(@Payload() payload: { name?: string; fail?: boolean }): void {
    this.trail.steps.push(`class-enhanced ${JSON.stringify(payload)}`);
    if (payload.fail) {
      throw new Error('class-enhanced broke');
    }
  }
}

describe('DirectInvocation: warren calls a handler straight only when Nest would add nothing', () => {
  let harness: HandlerHarness;
  afterEach(() => harness?.close());

  const create = (): Promise<HandlerHarness> =>
    HandlerHarness.create({
      handlers: [Handlers, RequestScopedHandlers, InterceptedClass, EnhancedClass],
      // Enhancers bound by @UseGuards() and the like are instantiated by Nest: listed as providers, they would count as possible globals.
      providers: [Trail],
      options: { serviceName: 'direct' },
    });
  const reasonOf = (h: HandlerHarness, pattern: string): string | undefined => h.handlers().find((d) => d.pattern === pattern)!.pipelineReason;
  const isDirect = (h: HandlerHarness, pattern: string): boolean => h.handlers().find((d) => d.pattern === pattern)!.direct !== undefined;

  it('takes the direct call for handlers with only warren pipe and filter, Nest pipeline for everything else, with the reason', async () => {
    harness = await create();
    expect(['plain.event', 'bare.event', 'dto.event', 'throwing.event', 'plain.request'].filter((p) => !isDirect(harness, p))).toEqual([]);
    expect(reasonOf(harness, 'intercepted.event')).toBe('it has interceptors');
    expect(reasonOf(harness, 'class-intercepted.event')).toBe('it has interceptors');
    expect(reasonOf(harness, 'piped.event')).toBe('it has pipes of its own');
    expect(reasonOf(harness, 'guarded.event')).toBe('it has guards');
    expect(reasonOf(harness, 'field.event')).toMatch(/parameter 0 takes a property/);
    expect(reasonOf(harness, 'filtered.event')).toBe('it has exception filters of its own');
    expect(reasonOf(harness, 'class-enhanced.event')).toBe('it has guards');
    expect(reasonOf(harness, 'nest.event')).toMatch(/not bound by @HandleEvent/);
    expect(reasonOf(harness, 'scoped.event')).toMatch(/request-scoped/);
    expect(reasonOf(harness, 'intercepted.request')).toBe('it has interceptors');
  });

  it('hands a direct handler the payload and context as Nest would, and the payload alone without decorators', async () => {
    harness = await create();
    expect((await harness.publish('plain.event', { a: 1 })).result.kind).toBe('ack');
    expect((await harness.publish('bare.event', { b: 2 })).result.kind).toBe('ack');
    expect(harness.get(Trail).steps).toEqual(['plain {"a":1} plain.event', 'bare {"b":2} undefined']);
  });

  it('validates a DTO on the direct path: unknown fields stripped, a wrong shape parked as ValidationError', async () => {
    harness = await create();
    expect((await harness.publish('dto.event', { id: 'o-1', quantity: 2, extra: true })).result.kind).toBe('ack');
    const parked = (await harness.publish('dto.event', { id: 'o-2', quantity: 'two' })).result;
    expect(parked).toMatchObject({ kind: 'dead-letter', errorType: 'ValidationError', retryable: false });
    expect(harness.get(Trail).steps).toEqual(['dto true {"id":"o-1","quantity":2}']);
  });

  it("keeps a direct handler's own error for the failure policy", async () => {
    harness = await create();
    // A TypeError is a programming error: parked at once (the failure policy saw the original, not Nest's wrapper).
    expect((await harness.publish('throwing.event', {})).result).toMatchObject({
      kind: 'dead-letter',
      retryable: false,
      errorType: 'TypeError',
      errorMessage: 'handler broke',
    });
  });

  it('runs interceptors, pipes and guards a team adds (method or class) through Nest pipeline', async () => {
    harness = await create();
    await harness.publish('intercepted.event', { i: 1 });
    await harness.publish('class-intercepted.event', {});
    await harness.publish('piped.event', { name: 'ada' });
    expect((await harness.publish('guarded.event', {})).result.kind).not.toBe('ack');
    await harness.publish('field.event', { name: 'grace' });
    expect(harness.get(Trail).steps).toEqual([
      'interceptor',
      'intercepted {"i":1}',
      'interceptor',
      'class-intercepted ran',
      'pipe',
      'piped {"name":"ADA"}',
      'field grace',
    ]);
  });

  it("returns an interceptor's mapped value as a request's reply, and a direct handler's value as is", async () => {
    harness = await create();
    await expect(harness.request('intercepted.request', { n: 2 })).resolves.toEqual({ intercepted: 4 });
    await expect(harness.request('plain.request', { n: 2 })).resolves.toBe(6);
  });

  it('runs a guard, a pipe and a filter on the class, and a filter on the method, where Nest would', async () => {
    harness = await create();
    expect((await harness.publish('class-enhanced.event', { name: 'ada' })).result.kind).toBe('ack');
    expect((await harness.publish('class-enhanced.event', { blocked: true })).result.kind).not.toBe('ack');
    // Nest asks warren's own filter (on the method) before the class's: the failure reaches the transport as thrown, either way.
    expect((await harness.publish('class-enhanced.event', { fail: true })).result).toMatchObject({ kind: 'retry', errorType: 'Error' });
    expect((await harness.publish('filtered.event', {})).result).toMatchObject({
      kind: 'retry',
      errorType: 'Error',
      errorMessage: 'filtered broke',
    });
    expect(harness.get(Trail).steps).toEqual([
      'pipe',
      'class-enhanced {"name":"ADA"}',
      'pipe',
      'class-enhanced {"fail":true}',
      'filter filtered broke',
    ]);
  });
});

/** Nothing of its own around it: called directly unless something global may run. */
@Controller()
class OnlyHandler {
  constructor(private readonly trail: Trail) {}

  @HandleEvent('only.event')
  onOnly(@Payload() payload: { name?: string; fail?: boolean }): void {
    this.trail.steps.push(`only ${JSON.stringify(payload)}`);
    if (payload.fail) {
      throw new Error('only broke');
    }
  }
}

/**
 * Global enhancers, however an app adds them, run around a handler: warren calls a handler directly only
 * where it can rule them out from public information (HandlerBinding), and takes Nest's pipeline elsewhere.
 */
describe('DirectInvocation with global enhancers: they run whether warren can see them or not', () => {
  let harness: HandlerHarness;
  afterEach(() => harness?.close());

  const create = (config: Pick<HandlerHarnessConfig, 'configure'> & { providers?: Provider[] } = {}): Promise<HandlerHarness> =>
    HandlerHarness.create({
      handlers: [OnlyHandler],
      options: { serviceName: 'globals' },
      ...config,
      providers: [Trail, ...(config.providers ?? [])],
    });
  const reason = (): string | undefined => harness.handlers()[0].pipelineReason;
  const steps = (): string[] => harness.get(Trail).steps;
  const forbidden = { errorMessage: expect.stringContaining('Forbidden') };

  it('calls the handler directly when nothing global can run', async () => {
    harness = await create();
    expect(reason()).toBeUndefined();
    await harness.publish('only.event', { name: 'ada' });
    expect(steps()).toEqual(['only {"name":"ada"}']);
  });

  it('runs an APP_GUARD: the handler never runs', async () => {
    harness = await create({ providers: [{ provide: APP_GUARD, useClass: RefuseGuard }] });
    expect(reason()).toBe('provider RefuseGuard may be a global enhancer (APP_GUARD, APP_INTERCEPTOR, APP_PIPE or APP_FILTER)');
    expect((await harness.publish('only.event', { name: 'ada' })).result).toMatchObject(forbidden);
    expect(steps()).toEqual([]);
  });

  it('runs an APP_INTERCEPTOR and an APP_PIPE around the handler', async () => {
    harness = await create({
      providers: [
        { provide: APP_INTERCEPTOR, useClass: TrailInterceptor },
        { provide: APP_PIPE, useClass: UppercasePipe },
      ],
    });
    expect(reason()).toMatch(/may be a global enhancer/);
    await harness.publish('only.event', { name: 'ada' });
    expect(steps()).toEqual(['interceptor', 'pipe', 'only {"name":"ADA"}']);
  });

  it("takes Nest's pipeline with an APP_FILTER, where a failure reaches the transport as thrown", async () => {
    harness = await create({ providers: [{ provide: APP_FILTER, useClass: TrailFilter }] });
    expect(reason()).toMatch(/may be a global enhancer/);
    // Nest asks the method's filters first: warren's own (from @HandleEvent) takes the error, as on the direct path.
    expect((await harness.publish('only.event', { fail: true })).result).toMatchObject({
      kind: 'retry',
      errorType: 'Error',
      errorMessage: 'only broke',
    });
  });

  it('runs a request-scoped APP_INTERCEPTOR, which makes every controller request-scoped', async () => {
    harness = await create({ providers: [{ provide: APP_INTERCEPTOR, useClass: TrailInterceptor, scope: Scope.REQUEST }] });
    expect(reason()).toBe('its controller is request-scoped');
    await harness.publish('only.event', { name: 'ada' });
    expect(steps()).toEqual(['interceptor', 'only {"name":"ada"}']);
  });

  // Were the check failing open, the handler would be called directly here: no public API shows this guard.
  it('runs a guard added with useGlobalGuards(), which warren cannot see: the handler never runs', async () => {
    harness = await create({ configure: (app) => app.useGlobalGuards(new RefuseGuard()) });
    expect(reason()).toMatch(/not bound through connectRabbitServer\(\) or createRabbitMicroservice\(\)/);
    expect((await harness.publish('only.event', { name: 'ada' })).result).toMatchObject(forbidden);
    expect(steps()).toEqual([]);
  });

  it('runs interceptors, pipes and pre-request hooks added with useGlobal*() and registerPreRequestHook()', async () => {
    const trail = new Trail();
    harness = await create({
      configure: (app) => {
        app.useGlobalInterceptors(new TrailInterceptor(trail));
        app.useGlobalPipes(new UppercasePipe(trail));
        app.registerPreRequestHook((_context, next) => {
          trail.steps.push('hook');
          return next();
        });
      },
    });
    await harness.publish('only.event', { name: 'ada' });
    expect([...trail.steps, ...steps()]).toEqual(['hook', 'interceptor', 'pipe', 'only {"name":"ADA"}']);
  });
});
