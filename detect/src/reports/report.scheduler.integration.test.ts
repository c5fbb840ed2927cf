import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleCatalog } from '@shadow-ai/catalog/testing';
import { createStore, migrate, type Store } from '@shadow-ai/clickhouse';
import { createLogger, emptyEvent, loadConfig } from '@shadow-ai/core';
import { createClassifyStep } from '../classify.step.ts';
import { createStoreSink } from '../events.sink.ts';
import { Sanctions } from '../sanctions.ts';
import type { MonthlyReport } from './monthly.report.ts';
import { dueMonth, ReportScheduler, ReportService } from './report.service.ts';
import { ReportStore } from './reports.store.ts';

const catalog = exampleCatalog(['alpha', 'beta']);
const ref = { current: catalog };

describe('report scheduler (embedded store, injected clock)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shadow-ai-report-sched-'));
  const log = createLogger({ level: 'silent' });
  let store: Store;
  let service: ReportService;

  beforeAll(async () => {
    store = await createStore(loadConfig({ SHADOW_AI_DATA_DIR: dir }), log);
    await migrate(store.client, log);
    const sink = createStoreSink({ client: store.client, catalog: ref, classify: createClassifyStep({ catalog: ref }) });
    const ev = (user: string, host: string, ts: string, bytesOut: number) => ({
      ...emptyEvent('proxy', 'squid', ts), user, srcIp: '10.0.0.1', host, bytesOut, bytesIn: 1, action: 'allowed' as const,
    });
    await sink.store([
      { src: 'test', offset: 1, line: 0, event: ev('ann', 'alpha.example.com', '2026-08-30T10:00:00.000Z', 10) },
      { src: 'test', offset: 1, line: 1, event: ev('ann', 'alpha.example.com', '2026-09-02T10:00:00.000Z', 100) },
      { src: 'test', offset: 1, line: 2, event: ev('ben', 'beta.example.com', '2026-09-03T10:00:00.000Z', 50) },
      { src: 'test', offset: 1, line: 3, event: ev('ben', 'beta.example.com', '2026-09-30T23:59:59.999Z', 5) },
      { src: 'test', offset: 1, line: 4, event: ev('cat', 'beta.example.com', '2026-10-01T00:00:00.000Z', 7) },
    ]);
    service = new ReportService({
      client: store.client,
      catalog: () => catalog,
      sanctions: new Sanctions({ default: 'unsanctioned', apps: { beta: 'sanctioned' } }),
      chromiumPath: '/nonexistent/chromium',
      store: new ReportStore(store.client),
    });
  });

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('knows which month is due: the previous one, from the configured day on', () => {
    expect(dueMonth(new Date('2026-10-02T23:59:59Z'), 3)).toBeNull();
    expect(dueMonth(new Date('2026-10-03T00:00:00Z'), 3)).toBe('2026-09');
    expect(dueMonth(new Date('2026-10-20T00:00:00Z'), 3)).toBe('2026-09');
    expect(dueMonth(new Date('2026-01-01T00:00:00Z'), 1)).toBe('2025-12');
  });

  it('generates nothing before the day, then each format once — across restarts and concurrent checks', async () => {
    let now = new Date('2026-10-02T12:00:00Z');
    const make = () => new ReportScheduler({ service, formats: ['json', 'csv'], day: 3, log, clock: () => now });
    const first = make();
    expect(await first.tick()).toEqual([]);
    expect(await service.deps.store.list()).toEqual([]);

    now = new Date('2026-10-03T00:00:01Z');
    const [a, b] = await Promise.all([first.tick(), first.tick()]);
    expect(a).toBe(b);
    expect(a!.map((m) => [m.month, m.format, m.generatedBy])).toEqual([['2026-09', 'json', 'scheduler'], ['2026-09', 'csv', 'scheduler']]);
    expect(await first.tick()).toEqual([]);

    // A restarted service asks the store, not its memory.
    now = new Date('2026-10-15T08:00:00Z');
    expect(await make().tick()).toEqual([]);
    const stored = await service.deps.store.list();
    expect(stored).toHaveLength(2);

    const json = await service.deps.store.get(stored.find((s) => s.format === 'json')!.id);
    const report = JSON.parse(json!.body.toString('utf8')) as MonthlyReport;
    // September only: the events of 30 Aug and 1 Oct (UTC) belong to other months.
    expect(report.summary.current).toEqual({ apps: 2, activeUsers: 2, events: 3, bytesOut: 155, unsanctionedEvents: 1, unsanctionedShare: 0.3333 });
    expect(report.summary.previous).toMatchObject({ apps: 1, activeUsers: 1, events: 1, bytesOut: 10 });
    expect(report.newApps.map((x) => x.appId)).toEqual(['beta']);
  });

  it('a failing format (no Chromium for the PDF) leaves the others stored and is retried on the next check', async () => {
    const now = new Date('2026-09-05T00:00:00Z');
    const s = new ReportScheduler({ service, formats: ['pdf', 'json'], day: 1, log, clock: () => now });
    await expect(s.tick()).rejects.toThrow(/pdf: cannot print the PDF: no Chromium at \/nonexistent\/chromium \(set CHROMIUM_PATH/);
    expect(await service.deps.store.has('2026-08', 'pdf')).toBe(false);
    expect(await service.deps.store.has('2026-08', 'json')).toBe(true);
    await expect(s.tick()).rejects.toThrow(/^scheduled 2026-08 report failed: pdf:/);
    expect((await service.deps.store.list({ month: '2026-08' })).map((m) => m.format)).toEqual(['json']);
  });
});
