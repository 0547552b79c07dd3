import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, ModulesContainer, NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureApp, createHttpAdapter } from '../../src/app.factory.js';
import { AppModule } from '../../src/app.module.js';
import type { AppConfig } from '../../src/config/app-config.js';

/** One HTTP route of the app, e.g. `{ method: 'GET', path: '/health/live' }`. */
export interface AppRoute {
  method: string;
  path: string;
}

/**
 * The HTTP routes the service serves, read from the route metadata (`@Controller`, `@Get`, …)
 * of every controller in the same module graph and wiring main.ts uses. Builds the app without
 * initialising it, so no lifecycle hook runs and no broker connection is opened (as
 * src/cli/handler-queues.ts does).
 */
export async function appRoutes(config: AppConfig): Promise<AppRoute[]> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), createHttpAdapter(config), {
    logger: false,
    abortOnError: false,
    bodyParser: false,
  });
  try {
    configureApp(app, config);
    const scanner = new MetadataScanner();
    const routes: AppRoute[] = [];
    for (const module of app.get(ModulesContainer).values()) {
      for (const wrapper of module.controllers.values()) {
        const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
        if (!controller) continue;
        const prefixes = paths(Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined);
        const prototype = controller.prototype as Record<string, unknown>;
        for (const name of scanner.getAllMethodNames(prototype)) {
          const handler = prototype[name] as object;
          const routePaths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
          if (routePaths === undefined) continue;
          const method = RequestMethod[(Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod) ?? RequestMethod.GET];
          for (const prefix of prefixes) {
            for (const path of paths(routePaths)) {
              routes.push({ method, path: joinPath(prefix, path) });
            }
          }
        }
      }
    }
    return routes;
  } finally {
    await app.close();
  }
}

function paths(value: string | string[] | undefined): string[] {
  if (value === undefined) return ['/'];
  return Array.isArray(value) ? value : [value];
}

/** 'health' + 'live' → '/health/live'; 'metrics' + '/' → '/metrics'. */
function joinPath(...parts: string[]): string {
  const segments = parts.map((part) => part.replace(/^\/+|\/+$/g, '')).filter((part) => part !== '');
  return `/${segments.join('/')}`;
}
