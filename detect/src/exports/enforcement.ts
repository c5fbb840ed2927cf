import { createHash } from 'node:crypto';
import type { Catalog } from '@shadow-ai/catalog';
import type { CustomApps } from '../custom-apps.store.ts';
import type { Sanctions } from '../sanctions.ts';
import { renderExport, type ExportFormat, type ExportList, type ExportResult } from './exports.ts';

/**
 * The enforcement list as it stands: the apps whose organisation-wide status is `blocked` (or
 * `sanctioned`), rendered for one enforcement point. The output, and so its ETag, changes only when
 * a decision, a custom app or the catalog changes: its time stamp is that of the latest change.
 */
export function currentExport(
  format: ExportFormat,
  list: ExportList,
  deps: { catalog: Catalog; sanctions: Sanctions & { lastDecisionAt?: () => Date | null }; customApps?: CustomApps | null },
  proxy?: string,
): ExportResult & { etag: string } {
  const wanted = list === 'blocked' ? 'blocked' : 'sanctioned';
  const apps = deps.catalog.apps.filter((a) => deps.sanctions.statusOf(a.id) === wanted);
  const times = [deps.sanctions.lastDecisionAt?.() ?? null, deps.customApps?.changedAt() ?? null].filter((d): d is Date => d !== null);
  const generatedAt = new Date(Math.max(0, ...times.map((d) => d.getTime())));
  const result = renderExport(format, { list, apps, generatedAt, catalogVersion: deps.catalog.version, ...(proxy ? { proxy } : {}) });
  const etag = `"${createHash('sha256').update(result.body).digest('base64url').slice(0, 27)}"`;
  return { ...result, etag };
}
