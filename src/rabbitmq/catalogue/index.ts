/*
 * The event catalogue entry (tooling and the service's metrics port): builds the AsyncAPI document.
 * Feature teams use `Publishes` and `Replies` from the public entry (../index.ts).
 */
export { buildCatalogue } from './build-catalogue.js';
export type { JsonSchema as CatalogueDocument } from './publishes.decorator.js';
