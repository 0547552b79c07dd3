/*
 * The event catalogue entry (tooling and the service's metrics port): builds the AsyncAPI document.
 * Feature teams describe what the handlers do not say with `Publishes` and `Replies` (outside the root entry, which stays small).
 */
export { buildCatalogue } from './build-catalogue.js';
export type { JsonSchema as CatalogueDocument } from './publishes.decorator.js';
export { Publishes, Replies } from './publishes.decorator.js';
