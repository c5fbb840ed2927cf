import type { ClickHouseClient } from '@clickhouse/client';
import { appSchema, CUSTOM_FILE, lintApps, type Catalog, type CatalogApp, type CatalogRef } from '@shadow-ai/catalog';
import { pollTableChanges, queryRows, tableChangeMarker } from '@shadow-ai/clickhouse';
import { toClickHouseTime, type Logger } from '@shadow-ai/core';

export class CustomAppError extends Error {
  constructor(
    readonly code: 'invalid' | 'conflict' | 'not_found',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The organisation's own apps, stored in ClickHouse and merged into the catalog in force (`ref`). Every
 * change is linted together with the shipped catalog first, so a custom app can never claim a domain
 * a shipped app (or another custom app) already has. Other processes pick changes up by polling.
 */
export class CustomApps {
  private lastChange = '';
  private stopPolling: () => void = () => undefined;

  constructor(
    private readonly deps: { client: ClickHouseClient; shipped: Catalog; ref: CatalogRef; log: Logger },
  ) {}

  /** When the custom apps last changed (null: never), for outputs that must only change with their inputs. */
  changedAt(): Date | null {
    const at = this.lastChange.split('/')[1];
    return at ? new Date(`${at.replace(' ', 'T')}Z`) : null;
  }

  list(): CatalogApp[] {
    return this.deps.ref.current.customApps;
  }

  /** Reads the stored custom apps and swaps the catalog in force; invalid rows are logged and left out. */
  async load(): Promise<void> {
    const rows = await queryRows<{ id: string; body: string; changed: string }>(
      this.deps.client,
      `SELECT id, body, toString(updated_at) AS changed FROM custom_apps FINAL WHERE deleted = 0 ORDER BY id`,
    );
    const apps: CatalogApp[] = [];
    for (const row of rows) {
      const parsed = appSchema.safeParse(safeJson(row.body));
      if (parsed.success) apps.push(parsed.data);
      else this.deps.log.error({ id: row.id, issues: parsed.error.issues.length }, 'stored custom app is invalid; left out');
    }
    this.lastChange = await tableChangeMarker(this.deps.client, 'custom_apps');
    this.deps.ref.current = this.deps.shipped.withCustomApps(apps);
  }

  /** Reloads when another process changed the custom apps. */
  startPolling(intervalMs: number): void {
    this.stopPolling = pollTableChanges({
      client: this.deps.client,
      table: 'custom_apps',
      intervalMs,
      current: () => this.lastChange,
      reload: () => this.load(),
      log: this.deps.log,
    });
  }

  stop(): void {
    this.stopPolling();
  }

  async upsert(input: unknown, actor: string): Promise<CatalogApp> {
    const parsed = appSchema.safeParse(input);
    if (!parsed.success) {
      throw new CustomAppError('invalid', parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    }
    const app = parsed.data;
    const others = this.list().filter((a) => a.id !== app.id);
    const problems = lintApps({
      errors: [],
      apps: [
        ...this.deps.shipped.apps.map((a) => ({ file: `${a.id}.json`, app: a })),
        ...[...others, app].map((a) => ({ file: `${CUSTOM_FILE}${a.id}`, app: a })),
      ],
    }).filter((p) => p.file === `${CUSTOM_FILE}${app.id}` || p.message.includes(app.id));
    if (problems.length > 0) {
      const conflict = problems.some((p) => p.message.includes('already claimed') || p.message.includes('duplicate id'));
      throw new CustomAppError(conflict ? 'conflict' : 'invalid', problems.map((p) => p.message).join('; '));
    }
    await this.write(app.id, JSON.stringify(app), 0, actor);
    await this.load();
    return app;
  }

  async remove(id: string, actor: string): Promise<void> {
    if (!this.list().some((a) => a.id === id)) throw new CustomAppError('not_found', `no custom app ${id}`);
    await this.write(id, '', 1, actor);
    await this.load();
  }

  private async write(id: string, body: string, deleted: 0 | 1, actor: string): Promise<void> {
    await this.deps.client.insert({
      table: 'custom_apps',
      format: 'JSONEachRow',
      values: [{ id, body, deleted, actor, updated_at: toClickHouseTime(new Date().toISOString()) }],
    });
  }

}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
