import type { INestApplicationContext } from '@nestjs/common';
import { DiscoveryService, ModulesContainer } from '@nestjs/core';

/** A controller or provider as DiscoveryService lists it. */
type Discovered = ReturnType<DiscoveryService['getProviders']>[number];

/** The methods Nest asks of a guard, an interceptor, a pipe and a filter (what it checks an APP_* provider's value for). */
const ENHANCER_METHODS = ['canActivate', 'intercept', 'transform', 'catch'];

/**
 * What warren can know, from Nest's public API, about the handlers Nest binds while warren itself
 * holds the app: the one place DirectInvocation learns what a handler's pipeline holds beyond the
 * handler's own metadata.
 *
 * Nest tells a transport neither the global guards, interceptors, pipes, filters and pre-request
 * hooks of a microservice nor which ApplicationConfig a handler's pipeline was built from. So
 * warren binds handlers itself, where it can know them (connectRabbitServer,
 * createRabbitMicroservice, HandlerHarness):
 * - `useGlobal*()` and `registerPreRequestHook()`: nobody can have called them on a microservice
 *   warren created and bound before handing it out, and with `inheritAppConfig: false` the app's
 *   own do not apply to it;
 * - `APP_GUARD`, `APP_INTERCEPTOR`, `APP_PIPE` and `APP_FILTER` providers: Nest instantiates a
 *   singleton one as a provider of its module, which DiscoveryService lists. Any provider whose
 *   value could be an enhancer counts as one (a guard also registered as a plain provider too:
 *   then every handler takes Nest's pipeline, slower, never wrong). A request-scoped one makes
 *   every controller request-scoped, which `controllerOf` refuses.
 * A handler bound any other way (`app.connectMicroservice` by hand, `NestFactory.createMicroservice`)
 * has no HandlerBinding: it takes Nest's pipeline. Unknown is never read as "none".
 */
export class HandlerBinding {
  private constructor(
    private readonly controllers: Discovered[],
    /** Why a global enhancer may be there; undefined when none can be. */
    readonly globalEnhancer: string | undefined,
  ) {}

  /** What `app` shows now: call it once Nest has instantiated the app's providers and controllers. */
  static of(app: INestApplicationContext): HandlerBinding {
    const discovery = new DiscoveryService(app.get(ModulesContainer));
    const enhancer = discovery.getProviders().find((wrapper) => mayBeEnhancer(wrapper.instance));
    return new HandlerBinding(
      discovery.getControllers(),
      enhancer &&
        `provider ${(enhancer.instance as object).constructor.name} may be a global enhancer (APP_GUARD, APP_INTERCEPTOR, APP_PIPE or APP_FILTER)`,
    );
  }

  /** The singleton controller instance Nest calls `method` on, or why there is not exactly one. */
  controllerOf(method: { name: string }): { instance: object; reason?: undefined } | { instance?: undefined; reason: string } {
    const bound = this.controllers.filter(
      (wrapper) => isObject(wrapper.instance) && (wrapper.instance as Record<string, unknown>)[method.name] === method,
    );
    if (bound.length !== 1) {
      return { reason: bound.length === 0 ? 'no controller of the app has it' : `${bound.length} controllers have it (a class in several modules)` };
    }
    const [wrapper] = bound;
    // Request-scoped itself, through a dependency, or through a request-scoped global enhancer: Nest builds its pipeline per message.
    if (!wrapper.isDependencyTreeStatic()) {
      return { reason: 'its controller is request-scoped' };
    }
    return { instance: wrapper.instance as object };
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function mayBeEnhancer(value: unknown): boolean {
  return isObject(value) && ENHANCER_METHODS.some((method) => typeof (value as Record<string, unknown>)[method] === 'function');
}
