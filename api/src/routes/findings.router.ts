import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoInstant } from '@shadow-ai/core';
import { queryRows } from '@shadow-ai/clickhouse';
import { FINDING_DEFINITIONS, FINDING_STATUSES, FINDING_TYPES, FINDINGS_VIEW, TriageError } from '@shadow-ai/detect';
import type { ApiDeps } from '../deps.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { errorSchema, HttpError } from '../errors.ts';
import { isoOut, isoTime } from '../time-params.ts';

const findingSchema = z
  .object({
    id: z.string(),
    type: z.enum(FINDING_TYPES),
    title: z.string(),
    user: z.string().describe('empty for organisation-wide findings'),
    key: z.string().describe('what distinguishes findings of one type, user and app: a day, a host'),
    appId: z.string(),
    appName: z.string().nullable(),
    category: z.string().nullable(),
    sanction: z.string(),
    severity: z.number().int().min(0).max(100),
    status: z.enum(FINDING_STATUSES),
    assignee: z.string().nullable(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    requests: z.number(),
    bytesOut: z.number(),
    bytesIn: z.number(),
    updatedAt: z.string(),
    evidence: z.record(z.string(), z.unknown()),
    framework: z.object({ zeroTrust: z.string(), nistAiRmf: z.string(), mitreAtlas: z.string().nullable() }),
  })
  .meta({ id: 'Finding' });

interface FindingDbRow {
  id: string;
  type: (typeof FINDING_TYPES)[number];
  user: string;
  app_id: string;
  sanction: string;
  severity: number | string;
  status: (typeof FINDING_STATUSES)[number];
  assignee: string | null;
  first_seen: string;
  last_seen: string;
  requests: number | string;
  bytes_out: number | string;
  bytes_in: number | string;
  updated_at: string;
  evidence: string;
  finding_key: string;
}

const historySchema = z.object({
  ts: z.string(),
  actor: z.string(),
  fromStatus: z.enum(FINDING_STATUSES),
  toStatus: z.enum(FINDING_STATUSES),
  assignee: z.string().nullable(),
  reason: z.string(),
  note: z.string(),
});

const COLUMNS =
  'id, type, user, app_id, sanction, severity, status, assignee, first_seen, last_seen, requests, bytes_out, bytes_in, updated_at, evidence, finding_key';

export const findingsRouter =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const toFinding = (r: FindingDbRow): z.infer<typeof findingSchema> => {
      const catalogApp = deps.catalog.current.get(r.app_id);
      const def = FINDING_DEFINITIONS[r.type];
      return {
        id: r.id,
        type: r.type,
        title: def.title,
        user: r.user,
        key: r.finding_key,
        appId: r.app_id,
        appName: catalogApp?.name ?? null,
        category: catalogApp?.category ?? null,
        sanction: r.sanction,
        severity: Number(r.severity),
        status: r.status,
        assignee: r.assignee,
        firstSeen: isoOut(r.first_seen),
        lastSeen: isoOut(r.last_seen),
        requests: Number(r.requests),
        bytesOut: Number(r.bytes_out),
        bytesIn: Number(r.bytes_in),
        updatedAt: isoOut(r.updated_at),
        evidence: JSON.parse(r.evidence || '{}') as Record<string, unknown>,
        framework: { zeroTrust: def.zeroTrust, nistAiRmf: def.nistAiRmf, mitreAtlas: def.atlas ?? null },
      };
    };

    app.get(
      '/v1/findings',
      { config: { access: 'viewer' },
        schema: {
          summary: 'List findings, newest activity first (or by severity), with cursor pagination',
          description: 'The first page (no cursor) also carries `total`, the number of findings matching the filters.',
          tags: ['findings'],
          querystring: z.strictObject({
            status: z.enum(FINDING_STATUSES).optional(),
            type: z.enum(FINDING_TYPES).optional(),
            app: z.string().min(1).max(64).optional(),
            user: z.string().min(1).max(256).optional(),
            minSeverity: z.coerce.number().int().min(0).max(100).optional().describe('severity at least'),
            since: isoTime.optional().describe('only findings with activity at or after this time'),
            until: isoTime.optional().describe('only findings with activity before this time'),
            sort: z.enum(['last_seen', 'severity']).default('last_seen'),
            limit: z.coerce.number().int().min(1).max(500).default(50),
            cursor: z.string().max(512).optional(),
          }),
          response: {
            200: z.object({
              items: z.array(findingSchema),
              nextCursor: z.string().nullable(),
              total: z.number().int().optional().describe('findings matching the filters; on the first page only'),
            }),
            400: errorSchema,
          },
        },
      },
      async (req) => {
        const q = req.query;
        const where: string[] = [];
        const params: Record<string, unknown> = { limit: q.limit + 1 };
        const filter = (clause: string, name: string, value: unknown) => {
          where.push(clause);
          params[name] = value;
        };
        if (q.status) filter('status = {status:String}', 'status', q.status);
        if (q.type) filter('type = {type:String}', 'type', q.type);
        if (q.app) filter('app_id = {app:String}', 'app', q.app);
        if (q.user) filter('user = {user:String}', 'user', q.user);
        if (q.minSeverity !== undefined) filter('severity >= {min_sev:UInt8}', 'min_sev', q.minSeverity);
        if (q.since) filter("last_seen >= {since:DateTime64(3, 'UTC')}", 'since', q.since);
        if (q.until) filter("first_seen < {until:DateTime64(3, 'UTC')}", 'until', q.until);
        // Counted once, for the first page (before the cursor narrows `where`): later pages keep the count
        // the client already has.
        const countSql = q.cursor ? null : `SELECT count() AS n FROM (${FINDINGS_VIEW}) ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
        let order: string;
        if (q.sort === 'severity') {
          order = 'severity DESC, last_seen DESC, id DESC';
          if (q.cursor) {
            const [sev, ts, id] = decodeCursor(q.cursor, ['number', 'string', 'string']);
            where.push("(severity, last_seen, id) < ({c_sev:UInt8}, {c_ts:DateTime64(3, 'UTC')}, {c_id:String})");
            Object.assign(params, { c_sev: sev, c_ts: ts, c_id: id });
          }
        } else {
          order = 'last_seen DESC, id DESC';
          if (q.cursor) {
            const [ts, id] = decodeCursor(q.cursor, ['string', 'string']);
            where.push("(last_seen, id) < ({c_ts:DateTime64(3, 'UTC')}, {c_id:String})");
            Object.assign(params, { c_ts: ts, c_id: id });
          }
        }
        const [rows, counted] = await Promise.all([
          queryRows<FindingDbRow>(
            deps.client,
            `SELECT ${COLUMNS} FROM (${FINDINGS_VIEW}) ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
             ORDER BY ${order} LIMIT {limit:UInt32}`,
            params,
          ),
          countSql === null ? null : queryRows<{ n: string | number }>(deps.client, countSql, params),
        ]);
        const page = rows.slice(0, q.limit);
        const last = page[page.length - 1];
        const nextCursor =
          rows.length > q.limit && last
            ? encodeCursor(q.sort === 'severity' ? [Number(last.severity), last.last_seen, last.id] : [last.last_seen, last.id])
            : null;
        return { items: page.map(toFinding), nextCursor, ...(counted && { total: Number(counted[0]?.n ?? 0) }) };
      },
    );

    app.get(
      '/v1/findings/:id',
      { config: { access: 'viewer' },
        schema: {
          summary: 'One finding',
          tags: ['findings'],
          params: z.object({ id: z.string().regex(/^[0-9a-f]{24}$/, 'a finding id') }),
          response: { 200: findingSchema.extend({ history: z.array(historySchema) }), 400: errorSchema, 404: errorSchema },
        },
      },
      async (req) => {
        const rows = await queryRows<FindingDbRow>(deps.client, `SELECT ${COLUMNS} FROM (${FINDINGS_VIEW}) WHERE id = {id:String}`, {
          id: req.params.id,
        });
        const row = rows[0];
        if (!row) throw new HttpError(404, 'not_found', `no finding ${req.params.id}`);
        return { ...toFinding(row), history: await deps.triage.history(req.params.id) };
      },
    );

    app.patch(
      '/v1/findings/:id',
      {
        config: { access: 'analyst' },
        schema: {
          summary: 'Triage a finding: status (open → acknowledged → resolved | suppressed, or reopen), assignee, note',
          tags: ['findings'],
          params: z.object({ id: z.string().regex(/^[0-9a-f]{24}$/, 'a finding id') }),
          body: z
            .strictObject({
              status: z.enum(FINDING_STATUSES).optional(),
              assignee: z.string().min(1).max(256).nullable().optional(),
              note: z.string().max(4000).optional(),
              reason: z.string().min(1).max(1000).optional().describe('required to resolve or suppress'),
            })
            .refine((b) => Object.keys(b).length > 0, 'nothing to change'),
          response: { 200: findingSchema.extend({ history: z.array(historySchema) }), 400: errorSchema, 404: errorSchema, 409: errorSchema },
        },
      },
      async (req) => {
        try {
          const { before, after } = await deps.triage.change(req.params.id, req.body, req.principal?.actor ?? 'unknown');
          await deps.audit.record({ actor: req.principal?.actor ?? 'unknown', action: 'finding.update', target: req.params.id, before, after: { ...after, note: req.body.note ?? null } });
        } catch (e) {
          if (e instanceof TriageError) throw new HttpError(e.code === 'not_found' ? 404 : e.code === 'invalid_transition' ? 409 : 400, e.code, e.message);
          throw e;
        }
        const rows = await queryRows<FindingDbRow>(deps.client, `SELECT ${COLUMNS} FROM (${FINDINGS_VIEW}) WHERE id = {id:String}`, { id: req.params.id });
        return { ...toFinding(rows[0]!), history: await deps.triage.history(req.params.id) };
      },
    );

    app.post(
      '/v1/findings/bulk',
      {
        config: { access: 'analyst' },
        schema: {
          summary: 'Triage many findings at once: each goes through the same workflow check as PATCH; the result says per finding',
          tags: ['findings'],
          body: z.strictObject({
            ids: z.array(z.string().regex(/^[0-9a-f]{24}$/, 'a finding id')).min(1).max(500),
            status: z.enum(FINDING_STATUSES),
            assignee: z.string().min(1).max(256).nullable().optional(),
            note: z.string().max(4000).optional(),
            reason: z.string().min(1).max(1000).optional().describe('required to resolve or suppress'),
          }),
          response: {
            200: z.object({
              updated: z.number(),
              results: z.array(
                z.object({ id: z.string(), ok: z.boolean(), status: z.enum(FINDING_STATUSES).nullable(), error: z.string().nullable(), message: z.string().nullable() }),
              ),
            }),
            400: errorSchema,
          },
        },
      },
      async (req) => {
        const actor = req.principal?.actor ?? 'unknown';
        const { ids, ...change } = req.body;
        const results: { id: string; ok: boolean; status: (typeof FINDING_STATUSES)[number] | null; error: string | null; message: string | null }[] = [];
        // One at a time: each change reads the finding's current state, so a duplicate id in the list sees the first change.
        for (const id of ids) {
          try {
            const { before, after } = await deps.triage.change(id, change, actor);
            await deps.audit.record({ actor, action: 'finding.update', target: id, before, after: { ...after, note: change.note ?? null } });
            results.push({ id, ok: true, status: after.status, error: null, message: null });
          } catch (e) {
            if (!(e instanceof TriageError)) throw e;
            results.push({ id, ok: false, status: null, error: e.code, message: e.message });
          }
        }
        return { updated: results.filter((r) => r.ok).length, results };
      },
    );

    const ruleSchema = z.object({
      id: z.string(),
      user: z.string().nullable(),
      appId: z.string().nullable(),
      type: z.string().nullable(),
      reason: z.string(),
      expiresAt: z.string().nullable(),
      actor: z.string(),
      createdAt: z.string(),
    });

    app.get(
      '/v1/finding-types',
      {
        config: { access: 'viewer' },
        schema: {
          summary: 'Finding types: trigger, base severity and the framework functions they serve',
          tags: ['findings'],
          response: {
            200: z.object({
              items: z.array(z.object({ type: z.enum(FINDING_TYPES), title: z.string(), trigger: z.string(), baseSeverity: z.number(), zeroTrust: z.string(), nistAiRmf: z.string(), mitreAtlas: z.string().nullable() })),
            }),
          },
        },
      },
      async () => ({
        items: FINDING_TYPES.map((type) => {
          const d = FINDING_DEFINITIONS[type];
          return { type, title: d.title, trigger: d.trigger, baseSeverity: d.base, zeroTrust: d.zeroTrust, nistAiRmf: d.nistAiRmf, mitreAtlas: d.atlas ?? null };
        }),
      }),
    );

    app.get(
      '/v1/suppressions',
      { config: { access: 'viewer' }, schema: { summary: 'Suppression rules', tags: ['findings'], response: { 200: z.object({ items: z.array(ruleSchema) }) } } },
      async () => ({ items: deps.suppressions.list() }),
    );

    app.post(
      '/v1/suppressions',
      {
        config: { access: 'analyst' },
        schema: {
          summary: 'Suppress findings by user, app and/or type until an optional expiry (applies to open findings now and to new ones)',
          tags: ['findings'],
          body: z
            .strictObject({
              user: z.string().min(1).max(256).optional(),
              appId: z.string().min(1).max(64).optional(),
              type: z.enum(FINDING_TYPES).optional(),
              reason: z.string().min(3).max(1000),
              expiresAt: isoInstant.nullable().optional(),
            })
            .refine((b) => b.user || b.appId || b.type, 'a rule needs a user, an app or a type'),
          response: { 201: z.object({ rule: ruleSchema, suppressed: z.number() }), 400: errorSchema },
        },
      },
      async (req, reply) => {
        const actor = req.principal?.actor ?? 'unknown';
        const out = await deps.suppressions.create(req.body, actor);
        await deps.audit.record({ actor, action: 'suppression.create', target: out.rule.id, before: null, after: out.rule });
        return reply.code(201).send(out);
      },
    );

    app.delete(
      '/v1/suppressions/:id',
      {
        config: { access: 'analyst' },
        schema: {
          summary: 'Remove a suppression rule; the findings it suppressed reopen',
          tags: ['findings'],
          params: z.object({ id: z.string().min(1).max(64) }),
          response: { 200: z.object({ reopened: z.number() }), 404: errorSchema },
        },
      },
      async (req) => {
        const actor = req.principal?.actor ?? 'unknown';
        const before = deps.suppressions.list().find((r) => r.id === req.params.id) ?? null;
        const reopened = await deps.suppressions.remove(req.params.id, actor);
        if (reopened < 0) throw new HttpError(404, 'not_found', `no suppression rule ${req.params.id}`);
        await deps.audit.record({ actor, action: 'suppression.remove', target: req.params.id, before, after: null });
        return { reopened };
      },
    );
  };
