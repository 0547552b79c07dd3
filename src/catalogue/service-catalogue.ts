import { readFileSync } from 'node:fs';
import type { ModulesContainer } from '@nestjs/core';
import type { RabbitServer } from '../rabbitmq/admin.js';
import { buildCatalogue, type CatalogueDocument } from '../rabbitmq/admin.js';

/** Where `npm run asyncapi` writes the document; asyncapi.spec.ts checks it is current. */
export const ASYNCAPI_FILE = 'docs/asyncapi.yaml';

/** The service's AsyncAPI document, versioned as the package (read from the working directory, as `npm` and the image run it). */
export function serviceCatalogue(server: RabbitServer, modules: ModulesContainer): CatalogueDocument {
  return buildCatalogue(server, modules, { version: packageVersion() });
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync('package.json', 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
