import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appSchema, CATALOG_VERSION, CUSTOM_APP_PREFIX, type CatalogApp } from './app.schema.ts';
import { lintApps } from './lint.ts';
import { Matcher } from './matcher.ts';

export const DEFAULT_CATALOG_DIR = fileURLToPath(new URL('../apps/', import.meta.url));

export interface CatalogFileError {
  file: string;
  message: string;
}

export interface LoadedFiles {
  apps: { file: string; app: CatalogApp }[];
  errors: CatalogFileError[];
}

/** Reads and schema-validates every `*.json` in the directory; never throws for bad data. */
export function readCatalogFiles(dir: string = DEFAULT_CATALOG_DIR): LoadedFiles {
  const apps: LoadedFiles['apps'] = [];
  const errors: CatalogFileError[] = [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  for (const name of files) {
    const file = join(dir, name);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      errors.push({ file: name, message: `invalid JSON: ${(e as Error).message}` });
      continue;
    }
    const result = appSchema.safeParse(raw);
    if (!result.success) {
      for (const issue of result.error.issues) {
        errors.push({ file: name, message: `${issue.path.join('.') || '(root)'}: ${issue.message}` });
      }
      continue;
    }
    apps.push({ file: basename(name), app: result.data });
  }
  return { apps, errors };
}

export class CatalogError extends Error {
  override name = 'CatalogError';
}

export class Catalog {
  readonly matcher: Matcher;
  private readonly byId: Map<string, CatalogApp>;
  /** sha256 (first 16 hex) over the apps' canonical JSON: changes with any shipped or custom app */
  readonly hash: string;
  /** what classified an event: `<shipped version>+<hash>`, stored with every event */
  readonly version: string;

  constructor(
    readonly apps: readonly CatalogApp[],
    readonly shippedVersion: string = CATALOG_VERSION,
  ) {
    this.byId = new Map(apps.map((a) => [a.id, a]));
    this.matcher = new Matcher(apps);
    const canonical = JSON.stringify([...apps].sort((a, b) => (a.id < b.id ? -1 : 1)));
    this.hash = createHash('sha256').update(canonical).digest('hex').slice(0, 16);
    this.version = `${shippedVersion}+${this.hash}`;
  }

  /** The shipped apps plus an organisation's own; custom apps never replace shipped ones. */
  withCustomApps(custom: readonly CatalogApp[]): Catalog {
    const shipped = this.apps.filter((a) => !a.id.startsWith(CUSTOM_APP_PREFIX));
    return new Catalog([...shipped, ...custom], this.shippedVersion);
  }

  get customApps(): CatalogApp[] {
    return this.apps.filter((a) => a.id.startsWith(CUSTOM_APP_PREFIX));
  }

  get(id: string): CatalogApp | undefined {
    return this.byId.get(id);
  }

  stats(): { apps: number; domains: number; signatures: number; categories: Record<string, number> } {
    const categories: Record<string, number> = {};
    let domains = 0;
    let signatures = 0;
    for (const app of this.apps) {
      domains += app.domains.length;
      signatures += app.signatures.length;
      categories[app.category] = (categories[app.category] ?? 0) + 1;
    }
    return { apps: this.apps.length, domains, signatures, categories };
  }
}

/** Loads the catalog for the running product; a catalog that does not lint clean is refused. */
export function loadCatalog(dir: string = DEFAULT_CATALOG_DIR): Catalog {
  const files = readCatalogFiles(dir);
  const problems = lintApps(files);
  if (problems.length > 0) {
    const head = problems.slice(0, 10).map((p) => `${p.file}: ${p.message}`).join('\n  ');
    throw new CatalogError(`catalog at ${dir} has ${problems.length} problem(s):\n  ${head}`);
  }
  return new Catalog(files.apps.map((a) => a.app));
}

/**
 * The catalog in force. Custom apps change it while the service runs; readers take `current` once per
 * use, so a swap never shows them half a catalog.
 */
export interface CatalogRef {
  current: Catalog;
}
