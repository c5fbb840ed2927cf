import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleCatalog } from '@shadow-ai/catalog/testing';
import { createStore, migrate, type Store } from '@shadow-ai/clickhouse';
import { createLogger, emptyEvent, loadConfig, toClickHouseTime } from '@shadow-ai/core';
import { createClassifyStep } from './classify.step.ts';
import { createStoreSink } from './events.sink.ts';
import { buildMonthlyReport } from './reports/monthly.report.ts';
import { LiveSanctions, type SanctionStatus } from './sanctions.ts';
import { SanctionStore } from './sanctions.store.ts';

const catalog = exampleCatalog(['alpha', 'beta']);
const ref = { current: catalog };

/**
 * Reports on past months judge sanctions as they stood at the month's end, from the audit log: decisions are
 * made through SanctionStore.set as the API makes them, and recorded in audit_log at chosen times as the
 * API's audit would at the time of the decision.
 */
describe('sanction statuses as they stood at a past time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shadow-ai-sanction-history-'));
  const log = createLogger({ level: 'silent' });
  let store: Store;
  let sanctions: LiveSanctions;
  let sanctionStore: SanctionStore;

  async function decide(at: string, appId: string, input: { status: SanctionStatus; expiresAt?: string; users?: string[] }): Promise<void> {
    const { before, after } = await sanctionStore.set(
      appId,
      {
        status: input.status,
        reason: `test ${input.status}`,
        scope: input.users ? { type: 'users', users: input.users } : { type: 'organisation' },
        expiresAt: input.expiresAt ?? null,
      },
      'admin',
    );
    await store.client.insert({
      table: 'audit_log',
      format: 'JSONEachRow',
      values: [{ ts: toClickHouseTime(at), id: randomUUID(), actor: 'admin', action: 'sanction.set', target: appId, before: JSON.stringify(before), after: JSON.stringify(after) }],
    });
  }

  beforeAll(async () => {
    store = await createStore(loadConfig({ SHADOW_AI_DATA_DIR: dir }), log);
    await migrate(store.client, log);
    sanctions = new LiveSanctions({ default: 'unsanctioned', apps: { beta: 'monitored' } });
    sanctionStore = new SanctionStore({ client: store.client, sanctions });
    await sanctionStore.load();

    const sink = createStoreSink({ client: store.client, catalog: ref, classify: createClassifyStep({ catalog: ref }) });
    const ev = (user: string, host: string, ts: string) => ({
      ...emptyEvent('proxy', 'squid', ts), user, srcIp: '10.0.0.1', host, bytesOut: 10, bytesIn: 1, action: 'allowed' as const,
    });
    await sink.store([
      { src: 'test', offset: 1, line: 0, event: ev('ann', 'alpha.example.com', '2026-08-10T10:00:00.000Z') },
      { src: 'test', offset: 1, line: 1, event: ev('ann', 'alpha.example.com', '2026-09-10T10:00:00.000Z') },
      { src: 'test', offset: 1, line: 2, event: ev('ben', 'beta.example.com', '2026-09-11T10:00:00.000Z') },
    ]);

    // alpha: sanctioned in mid-August; blocked on 20 September until 5 October; sanctioned again after.
    await decide('2026-08-15T09:00:00.000Z', 'alpha', { status: 'sanctioned' });
    await decide('2026-09-20T09:00:00.000Z', 'alpha', { status: 'blocked', expiresAt: '2026-10-05T00:00:00.000Z' });
    // beta: blocked for two users only (the organisation keeps the file's status), then blocked for all in November.
    await decide('2026-09-25T09:00:00.000Z', 'beta', { status: 'blocked', users: ['ben'] });
    await decide('2026-11-02T09:00:00.000Z', 'beta', { status: 'blocked' });
  });

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replays the decisions in force at each time, with expiries judged then', async () => {
    const at = async (iso: string) => {
      const s = await sanctionStore.asOf(new Date(iso));
      return [s.statusOf('alpha'), s.statusOf('beta')];
    };
    expect(await at('2026-08-01T00:00:00.000Z')).toEqual(['unsanctioned', 'monitored']);
    expect(await at('2026-08-15T09:00:00.000Z')).toEqual(['sanctioned', 'monitored']);
    expect(await at('2026-09-30T23:59:59.999Z')).toEqual(['blocked', 'monitored']);
    // The block expired on 5 October: the decision before it is back.
    expect(await at('2026-10-06T00:00:00.000Z')).toEqual(['sanctioned', 'monitored']);
    expect(await at('2026-11-03T00:00:00.000Z')).toEqual(['sanctioned', 'blocked']);
    // A user-scoped decision applies to its users only.
    expect((await sanctionStore.asOf(new Date('2026-10-01T00:00:00.000Z'))).statusOf('beta', 'ben')).toBe('blocked');
    // Now, without history: the live statuses agree with the newest decisions.
    expect([sanctions.statusOf('alpha'), sanctions.statusOf('beta')]).toEqual(['sanctioned', 'blocked']);
  });

  it('reports each month with the statuses of its end, not of the day the report is made', async () => {
    const deps = {
      client: store.client,
      catalog: () => catalog,
      sanctions,
      sanctionsAt: (at: Date) => sanctionStore.asOf(at),
      now: () => new Date('2026-11-26T08:00:00.000Z'),
    };
    const august = await buildMonthlyReport(deps, '2026-08');
    expect(august.sanctionsAsOf).toBe('2026-08-31T23:59:59.999Z');
    expect(august.apps.map((a) => [a.appId, a.sanction])).toEqual([['alpha', 'sanctioned']]);
    expect(august.summary.current.unsanctionedEvents).toBe(0);

    const september = await buildMonthlyReport(deps, '2026-09');
    expect(Object.fromEntries(september.apps.map((a) => [a.appId, a.sanction]))).toEqual({ alpha: 'blocked', beta: 'monitored' });
    // alpha's event in September counts as unsanctioned use (blocked at the month's end), beta's does not.
    expect(september.summary.current.unsanctionedEvents).toBe(1);
    // The previous month is judged by the same statuses, so the trend compares like with like.
    expect(september.summary.previous.unsanctionedEvents).toBe(1);

    // Without history the report falls back to the statuses of today, and says so.
    const today = await buildMonthlyReport({ ...deps, sanctionsAt: undefined }, '2026-09');
    expect(Object.fromEntries(today.apps.map((a) => [a.appId, a.sanction]))).toEqual({ alpha: 'sanctioned', beta: 'blocked' });
    expect(today.sanctionsAsOf).toBe('2026-11-26T08:00:00.000Z');
    expect(today.notes[0]).toMatch(/in force when the report was generated/);
    expect(september.notes[0]).toMatch(/in force at the end of the month/);
  });
});
