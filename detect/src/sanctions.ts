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
  constructor(protected readonly file: SanctionsFile) {}

  static none(): Sanctions {
    return new Sanctions({ default: 'unsanctioned', apps: {} });
  }

  static readFile(path: string, catalog: Catalog): SanctionsFile {
    return Sanctions.load(path, catalog).file;
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

  /** `user`: the user the question is about (scoped overrides in LiveSanctions); the file has no scopes. */
  statusOf(appId: string, _user?: string): SanctionStatus {
    return this.file.apps[appId] ?? this.file.default;
  }

  /** Apps that raise "unsanctioned AI app in use" findings. Blocked apps are unsanctioned too. */
  isUnsanctioned(appId: string, user?: string): boolean {
    const s = this.statusOf(appId, user);
    return s === 'unsanctioned' || s === 'blocked';
  }
}

export const scopeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('organisation') }),
  z.strictObject({ type: z.literal('users'), users: z.array(z.string().min(1).max(256)).min(1).max(10_000) }),
  z.strictObject({ type: z.literal('groups'), groups: z.array(z.string().min(1).max(256)).min(1).max(1000) }),
]);
export type SanctionScope = z.infer<typeof scopeSchema>;

/** A decision IT made through the API; it overrides the sanctions file while it has not expired. */
export interface SanctionOverride {
  appId: string;
  status: SanctionStatus;
  reason: string;
  scope: SanctionScope;
  expiresAt: string | null;
  actor: string;
  updatedAt: string;
  /** the override in force before this one, which comes back when this one expires */
  previous: Omit<SanctionOverride, 'previous'> | null;
}

/**
 * Sanction status with the API's overrides layered on the file: per app an organisation-wide
 * decision, or one scoped to users or groups (which only those users see). An expired override
 * reverts to the one before it.
 */
export class LiveSanctions extends Sanctions {
  private overrides = new Map<string, SanctionOverride>();
  private groupsOf: (user: string) => readonly string[] = () => [];

  /** `clock`: the time expiries are judged at (now, except for a snapshot of the past: see `asOf`). */
  constructor(file: SanctionsFile, private readonly clock: () => number = Date.now) {
    super(file);
  }

  /**
   * The statuses as they stood at `at`: the same file, the overrides that were in force then (each with
   * the one before it), expiries judged at `at`.
   */
  asOf(overrides: SanctionOverride[], at: Date): LiveSanctions {
    const past = new LiveSanctions(this.file, () => at.getTime());
    past.setOverrides(overrides);
    past.groupsOf = this.groupsOf;
    return past;
  }

  setOverrides(list: SanctionOverride[]): void {
    this.overrides = new Map(list.map((o) => [o.appId, o]));
  }

  setGroupResolver(groupsOf: (user: string) => readonly string[]): void {
    this.groupsOf = groupsOf;
  }

  override(appId: string): SanctionOverride | undefined {
    return this.overrides.get(appId);
  }

  /** The override in force now for this app (and user), after expiry. */
  effective(appId: string, user?: string, at = this.clock()): Omit<SanctionOverride, 'previous'> | null {
    const o = this.overrides.get(appId);
    if (!o) return null;
    for (const layer of [o, o.previous]) {
      if (!layer) continue;
      if (layer.expiresAt && Date.parse(layer.expiresAt) <= at) continue;
      if (!this.applies(layer.scope, user)) continue;
      return layer;
    }
    return null;
  }

  override statusOf(appId: string, user?: string): SanctionStatus {
    return this.effective(appId, user)?.status ?? super.statusOf(appId);
  }

  override isUnsanctioned(appId: string, user?: string): boolean {
    const s = this.statusOf(appId, user);
    return s === 'unsanctioned' || s === 'blocked';
  }

  /** Overrides whose expiry passed in (since, until]: each reverts, which the audit log records. */
  expiredBetween(since: number, until: number): SanctionOverride[] {
    return [...this.overrides.values()].filter((o) => o.expiresAt !== null && Date.parse(o.expiresAt) > since && Date.parse(o.expiresAt) <= until);
  }

  /** When the latest decision was made (null: none), for outputs that must only change with their inputs. */
  lastDecisionAt(): Date | null {
    let latest = 0;
    for (const o of this.overrides.values()) latest = Math.max(latest, Date.parse(o.updatedAt));
    return latest > 0 ? new Date(latest) : null;
  }

  /** Apps some override concerns, for exports and re-evaluation. */
  overriddenApps(): string[] {
    return [...this.overrides.keys()];
  }

  private applies(scope: SanctionScope, user: string | undefined): boolean {
    if (scope.type === 'organisation') return true;
    if (user === undefined) return false;
    if (scope.type === 'users') return scope.users.includes(user);
    const groups = this.groupsOf(user);
    return scope.groups.some((g) => groups.includes(g));
  }
}
