import { appSchema, type CatalogApp } from './app.schema.ts';
import { Catalog } from './catalog.ts';

/** Test data (the `@shadow-ai/catalog/testing` entry, not the product's): the least a valid app needs. */
export function testApp(id: string, domains: CatalogApp['domains'], opts: { name?: string; signatures?: unknown[] } = {}): CatalogApp {
  return appSchema.parse({
    id,
    name: opts.name ?? id,
    vendor: 'v',
    category: 'chat-assistant',
    description: 'd',
    homepage: 'https://example.com',
    domains,
    signatures: opts.signatures ?? [],
    references: ['https://example.com'],
  });
}

/** A catalog of one app per id, each on the suffix `<id>.example.com` and named in upper case. */
export function exampleCatalog(ids: string[]): Catalog {
  return new Catalog(ids.map((id) => testApp(id, [{ host: `${id}.example.com`, match: 'suffix' }], { name: id.toUpperCase() })));
}
