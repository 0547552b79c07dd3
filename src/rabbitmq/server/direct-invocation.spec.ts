import { afterEach, describe, expect, it } from '@jest/globals';
import {
  type CallHandler,
  type CanActivate,
  Controller,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  type PipeTransform,
  Scope,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { IsInt, IsString } from 'class-validator';
import { map, type Observable } from 'rxjs';
import { HandleEvent, HandleRequest, RabbitContext } from '../index.js';
import { HandlerHarness } from '../testing/index.js';

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

describe('DirectInvocation: warren calls a handler straight only when Nest would add nothing', () => {
  let harness: HandlerHarness;
  afterEach(() => harness?.close());

  const create = (providers: unknown[] = []): Promise<HandlerHarness> =>
    HandlerHarness.create({
      handlers: [Handlers, RequestScopedHandlers, InterceptedClass],
      providers: [Trail, TrailInterceptor, UppercasePipe, RefuseGuard, ...(providers as never[])],
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

  it('gives every handler Nest pipeline when the app has a global interceptor, and the interceptor runs', async () => {
    harness = await create([{ provide: APP_INTERCEPTOR, useClass: TrailInterceptor }]);
    expect(reasonOf(harness, 'plain.event')).toBe('its app config has global interceptors');
    await harness.publish('plain.event', { a: 1 });
    expect(harness.get(Trail).steps).toEqual(['interceptor', 'plain {"a":1} plain.event']);
  });
});
