import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appSchema, type CatalogApp } from './app.schema.ts';
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

  constructor(readonly apps: readonly CatalogApp[]) {
    this.byId = new Map(apps.map((a) => [a.id, a]));
    this.matcher = new Matcher(apps);
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
