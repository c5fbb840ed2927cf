import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Catalog } from '@shadow-ai/catalog';

export const SANCTION_STATUSES = ['sanctioned', 'monitored', 'unsanctioned', 'blocked'] as const;
export type SanctionStatus = (typeof SANCTION_STATUSES)[number];

const sanctionsFileSchema = z.strictObject({
  default: z.enum(SANCTION_STATUSES).default('unsanctioned'),
  apps: z.record(z.string(), z.enum(SANCTION_STATUSES)).default({}),
});

export type SanctionsFile = z.infer<typeof sanctionsFileSchema>;

/** Sanction status per app, from the sanctions file; an app the file does not name gets `default`. */
export class Sanctions {
  constructor(private readonly file: SanctionsFile) {}

  static none(): Sanctions {
    return new Sanctions({ default: 'unsanctioned', apps: {} });
  }

  /** Reads and validates the file; an app id that is not in the catalog is an error, not a silent no-op. */
  static load(path: string, catalog: Catalog): Sanctions {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new Error(`sanctions file ${path}: ${(e as Error).message}`);
    }
    const parsed = sanctionsFileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(`sanctions file ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const unknown = Object.keys(parsed.data.apps).filter((id) => !catalog.get(id));
    if (unknown.length > 0) throw new Error(`sanctions file ${path}: unknown app id(s): ${unknown.join(', ')}`);
    return new Sanctions(parsed.data);
  }

  statusOf(appId: string): SanctionStatus {
    return this.file.apps[appId] ?? this.file.default;
  }

  /** Apps that raise "unsanctioned AI app in use" findings. Blocked apps are unsanctioned too. */
  isUnsanctioned(appId: string): boolean {
    const s = this.statusOf(appId);
    return s === 'unsanctioned' || s === 'blocked';
  }
}
