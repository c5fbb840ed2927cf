import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { squidLine } from '../support/log-lines.ts';
import { authFetch, eventually, getJson, removeDir, startService, tempDir, type Service } from '../support/service.ts';

interface Finding {
  id: string;
  user: string;
  appId: string;
  status: string;
  assignee: string | null;
  requests: number;
  history?: { actor: string; fromStatus: string; toStatus: string; reason: string; note: string }[];
}

describe('finding triage: workflow, history, suppression rules', () => {
  const dir = tempDir('triage');
  let service: Service;
  const at = new Date('2026-11-24T10:00:00Z');
  const ingest = (users: string[], host: string) =>
    authFetch(`${service.url}/v1/ingest/squid`, {
      method: 'POST',
      body: users.map((user, i) => squidLine({ user, clientIp: '10.9.0.1', host, bytes: 1, at: new Date(at.getTime() + i) })).join('\n'),
      headers: { 'idempotency-key': `${host}-${users.join('-')}-${Math.random()}` },
    });
  const patch = (id: string, body: object) =>
    authFetch(`${service.url}/v1/findings/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const finding = async (user: string, app: string) =>
    eventually(async () => (await getJson<{ items: Finding[] }>(`${service.url}/v1/findings?user=${user}&app=${app}&type=unsanctioned-app`)).body.items[0], 30_000, `finding ${user}/${app}`);

  beforeAll(async () => {
    service = await startService({ dataDir: join(dir, 'data'), env: { DETECT_INTERVAL_MS: '200' } });
    await ingest(['ada', 'ada', 'bo'], 'chatgpt.com');
  });

  afterAll(async () => {
    await service?.stop();
    removeDir(dir);
  });

  it('moves a finding through the workflow, recording who did what in its history', async () => {
    const f = await finding('ada', 'chatgpt');
    expect(f.status).toBe('open');
    const ack = await patch(f.id, { status: 'acknowledged', assignee: 'soc-1', note: 'looking into it' });
    expect(ack.status).toBe(200);
    expect(await ack.json()).toMatchObject({ status: 'acknowledged', assignee: 'soc-1' });
    expect((await patch(f.id, { status: 'resolved' })).status).toBe(400);
    expect((await patch(f.id, { status: 'resolved', reason: 'user moved to the sanctioned tenant' })).status).toBe(200);
    const wrong = await patch(f.id, { status: 'acknowledged' });
    expect(wrong.status).toBe(409);
    expect(((await wrong.json()) as { message: string }).message).toContain('resolved can become open');
    expect((await patch(f.id, { status: 'open', reason: 'happened again' })).status).toBe(200);
    const full = (await getJson<Finding>(`${service.url}/v1/findings/${f.id}`)).body;
    expect(full.history!.map((h) => [h.fromStatus, h.toStatus])).toEqual([
      ['open', 'acknowledged'],
      ['acknowledged', 'resolved'],
      ['resolved', 'open'],
    ]);
    expect(full.history![0]).toMatchObject({ actor: 'admin-token', note: 'looking into it' });
    expect((await patch('0123456789abcdef01234567', { status: 'acknowledged' })).status).toBe(404);
  });

  it('keeps the triage status when new activity updates the counts', async () => {
    const f = await finding('bo', 'chatgpt');
    expect((await patch(f.id, { status: 'acknowledged' })).status).toBe(200);
    await ingest(['bo', 'bo'], 'chatgpt.com');
    const updated = await eventually(async () => {
      const x = (await getJson<Finding>(`${service.url}/v1/findings/${f.id}`)).body;
      return x.requests === 3 ? x : undefined;
    }, 30_000, 'counts to update');
    expect(updated.status).toBe('acknowledged');
  });

  it('suppresses by rule — existing and new findings — and reopens them when the rule goes', async () => {
    await ingest(['cy'], 'claude.ai');
    const cy = await finding('cy', 'claude');
    const res = await authFetch(`${service.url}/v1/suppressions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId: 'claude', type: 'unsanctioned-app', reason: 'approved pilot, contract pending' }),
    });
    expect(res.status).toBe(201);
    const { rule, suppressed } = (await res.json()) as { rule: { id: string }; suppressed: number };
    expect(suppressed).toBe(1);
    expect((await getJson<Finding>(`${service.url}/v1/findings/${cy.id}`)).body.status).toBe('suppressed');

    await ingest(['dee'], 'claude.ai');
    const dee = await eventually(async () => {
      const x = (await getJson<{ items: Finding[] }>(`${service.url}/v1/findings?user=dee&type=unsanctioned-app`)).body.items[0];
      return x?.status === 'suppressed' ? x : undefined;
    }, 30_000, 'the new finding to be suppressed');
    expect(dee.appId).toBe('claude');
    const listed = (await getJson<{ items: Finding[] }>(`${service.url}/v1/findings?status=suppressed`)).body.items.map((f) => f.user).sort();
    expect(listed).toEqual(['cy', 'dee']);

    const del = await authFetch(`${service.url}/v1/suppressions/${rule.id}`, { method: 'DELETE' });
    expect(await del.json()).toEqual({ reopened: 2 });
    expect((await getJson<Finding>(`${service.url}/v1/findings/${cy.id}`)).body.status).toBe('open');
    const bad = await authFetch(`${service.url}/v1/suppressions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'everything' }) });
    expect(bad.status).toBe(400);
  });
});
