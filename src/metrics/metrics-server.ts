import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { serviceCatalogue } from '../catalogue/service-catalogue.js';
import { AppConfig } from '../config/app-config.js';
import { RabbitMetrics, RabbitServer } from '../rabbitmq/admin.js';

/** Where Prometheus scrapes (k8s/deployment.yaml's prometheus.io/path names it too). */
export const METRICS_PATH = '/metrics';

/** The event catalogue (the AsyncAPI document docs/asyncapi.yaml holds), as JSON: YAML would need a dev dependency. */
export const ASYNCAPI_PATH = '/asyncapi.json';

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * GET /metrics (and the event catalogue, GET /asyncapi.json) on a port of its own (METRICS_PORT), not the public HTTP port: queue names,
 * depths and process details are for the monitoring system, and the NetworkPolicy admits this
 * port from the monitoring namespace only. A plain Node server: no body parsing, no routing, no
 * Nest pipeline, so a flood on the API port cannot starve a scrape of anything but CPU.
 * Listens once the app has started and closes last on shutdown, so the drain can be watched.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server?: Server;

  constructor(
    private readonly metrics: RabbitMetrics,
    private readonly config: AppConfig,
    private readonly rabbitServer: RabbitServer,
    private readonly modules: ModulesContainer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((request, response) => void this.answer(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new Error(`METRICS_PORT ${this.config.metricsPort} cannot be used: ${error.code ?? error.message}`)),
      );
      server.listen(this.config.metricsPort, () => resolve());
    });
    this.server = server;
    this.logger.log(`metrics on port ${this.port} at ${METRICS_PATH}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** The port it listens on: METRICS_PORT, or the one the OS chose for 0. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if ((path !== METRICS_PATH && path !== ASYNCAPI_PATH) || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: GET ${METRICS_PATH} or ${ASYNCAPI_PATH}\n`);
      return;
    }
    if (path === ASYNCAPI_PATH) {
      // Built per request (rarely asked): the handlers are registered once the app has started.
      const body = JSON.stringify(serviceCatalogue(this.rabbitServer, this.modules));
      response.writeHead(200, { 'content-type': 'application/json' }).end(request.method === 'HEAD' ? undefined : body);
      return;
    }
    try {
      const body = await this.metrics.registry.metrics();
      response.writeHead(200, { 'content-type': CONTENT_TYPE }).end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      this.logger.warn(`metrics collection failed: ${String(error)}`);
      response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
    }
  }
}
