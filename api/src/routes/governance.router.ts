import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoInstant } from '@shadow-ai/core';
import { SANCTION_STATUSES, scopeSchema } from '@shadow-ai/detect';
import type { ApiDeps } from '../deps.ts';
import { ROLES } from '../auth/roles.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { errorSchema, HttpError } from '../errors.ts';

const keySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    createdBy: z.string(),
  })
  .meta({ id: 'ApiKey' });

const overrideSchema = z.object({
  appId: z.string(),
  status: z.enum(SANCTION_STATUSES),
  reason: z.string(),
  scope: scopeSchema,
  expiresAt: z.string().nullable(),
  actor: z.string(),
  updatedAt: z.string(),
});

/** API keys, sanction decisions, groups, the audit log and re-identification: the admin's surface. */
export const governanceRouter =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const actor = (req: { principal: { actor: string } | null }) => req.principal?.actor ?? 'unknown';

    app.get(
      '/v1/keys',
      { config: { access: 'admin' }, schema: { summary: 'API keys (never their secrets)', tags: ['auth'], response: { 200: z.object({ items: z.array(keySchema) }) } } },
      async () => ({ items: deps.auth.keys.list() }),
    );

    app.post(
      '/v1/keys',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Create an API key; the key is in this response only',
          tags: ['auth'],
          body: z.strictObject({
            name: z.string().min(1).max(100),
            role: z.enum(ROLES),
            expiresAt: isoInstant.nullable().default(null),
          }),
          response: { 201: keySchema.extend({ key: z.string() }), 400: errorSchema },
        },
      },
      async (req, reply) => {
        if (req.body.expiresAt && Date.parse(req.body.expiresAt) <= Date.now()) throw new HttpError(400, 'bad_request', 'expiresAt is in the past');
        const { key, record } = await deps.auth.keys.create({ ...req.body, actor: actor(req) });
        await deps.audit.record({ actor: actor(req), action: 'key.create', target: record.id, before: null, after: record });
        return reply.code(201).send({ ...record, key });
      },
    );

    app.delete(
      '/v1/keys/:id',
      {
        config: { access: 'admin' },
        schema: { summary: 'Revoke an API key', tags: ['auth'], params: z.object({ id: z.string().regex(/^[0-9a-f]{12}$/) }), response: { 200: keySchema, 404: errorSchema } },
      },
      async (req) => {
        const before = deps.auth.keys.list().find((k) => k.id === req.params.id) ?? null;
        const revoked = await deps.auth.keys.revoke(req.params.id);
        if (!revoked) throw new HttpError(404, 'not_found', `no key ${req.params.id}`);
        await deps.audit.record({ actor: actor(req), action: 'key.revoke', target: revoked.id, before, after: revoked });
        return revoked;
      },
    );

    app.put(
      '/v1/apps/:id/sanction',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Sanction, monitor, unsanction or block an app, for the organisation or for users/groups, optionally until a time',
          tags: ['apps'],
          params: z.object({ id: z.string().min(1).max(64) }),
          body: z.strictObject({
            status: z.enum(SANCTION_STATUSES),
            reason: z.string().min(1).max(1000),
            scope: scopeSchema.default({ type: 'organisation' }),
            expiresAt: isoInstant.nullable().default(null),
          }),
          response: { 200: overrideSchema, 400: errorSchema, 404: errorSchema },
        },
      },
      async (req) => {
        if (!deps.catalog.current.get(req.params.id)) throw new HttpError(404, 'not_found', `no app ${req.params.id} in the catalog`);
        if (req.body.expiresAt && Date.parse(req.body.expiresAt) <= Date.now()) throw new HttpError(400, 'bad_request', 'expiresAt is in the past');
        const { before, after } = await deps.sanctionStore.set(req.params.id, req.body, actor(req));
        const { previous: _p, ...shown } = after;
        await deps.audit.record({ actor: actor(req), action: 'sanction.set', target: req.params.id, before, after });
        // Findings follow the decision: re-derive them for every user of the app.
        void deps.detector.evaluateAll().catch((err: unknown) => req.log.error({ err }, 'findings re-evaluation failed'));
        return shown;
      },
    );

    app.get(
      '/v1/apps/:id/sanction',
      {
        config: { access: 'viewer' },
        schema: {
          summary: "An app's sanction status for the organisation (or a user) and the decision behind it",
          tags: ['apps'],
          params: z.object({ id: z.string().min(1).max(64) }),
          querystring: z.strictObject({ user: z.string().min(1).max(256).optional() }),
          response: { 200: z.object({ appId: z.string(), status: z.enum(SANCTION_STATUSES), decision: overrideSchema.nullable() }), 404: errorSchema },
        },
      },
      async (req) => {
        if (!deps.catalog.current.get(req.params.id)) throw new HttpError(404, 'not_found', `no app ${req.params.id} in the catalog`);
        const decision = deps.sanctions.effective(req.params.id, req.query.user);
        return { appId: req.params.id, status: deps.sanctions.statusOf(req.params.id, req.query.user), decision };
      },
    );

    app.put(
      '/v1/groups/:group',
      {
        config: { access: 'admin' },
        schema: {
          summary: "Set a group's members (for sanctions scoped to groups)",
          tags: ['apps'],
          params: z.object({ group: z.string().min(1).max(256) }),
          body: z.strictObject({ members: z.array(z.string().min(1).max(256)).max(100_000) }),
          response: { 200: z.object({ group: z.string(), members: z.array(z.string()) }) },
        },
      },
      async (req) => {
        const before = await deps.sanctionStore.setMembers(req.params.group, req.body.members);
        const after = deps.sanctionStore.members(req.params.group);
        await deps.audit.record({ actor: actor(req), action: 'group.set', target: req.params.group, before, after });
        void deps.detector.evaluateAll().catch((err: unknown) => req.log.error({ err }, 'findings re-evaluation failed'));
        return { group: req.params.group, members: after };
      },
    );

    app.get(
      '/v1/audit',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'The append-only audit log, newest first',
          tags: ['auth'],
          querystring: z.strictObject({
            action: z.string().max(64).optional(),
            target: z.string().max(256).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
            cursor: z.string().max(512).optional(),
          }),
          response: {
            200: z.object({
              items: z.array(z.object({ id: z.string(), ts: z.string(), actor: z.string(), action: z.string(), target: z.string(), before: z.unknown(), after: z.unknown() })),
              nextCursor: z.string().nullable(),
            }),
            400: errorSchema,
          },
        },
      },
      async (req) => {
        const q = req.query;
        const before = q.cursor ? decodeCursor(q.cursor, ['string', 'string']) : null;
        const rows = await deps.audit.list({
          limit: q.limit + 1,
          ...(q.action ? { action: q.action } : {}),
          ...(q.target ? { target: q.target } : {}),
          ...(before ? { before: { ts: String(before[0]), id: String(before[1]) } } : {}),
        });
        const page = rows.slice(0, q.limit);
        const last = page[page.length - 1];
        return {
          items: page.map(({ rawTs: _r, ...e }) => e),
          nextCursor: rows.length > q.limit && last ? encodeCursor([last.rawTs, last.id]) : null,
        };
      },
    );

    app.post(
      '/v1/pseudonyms/:pseudonym/reidentify',
      {
        config: { access: 'admin' },
        schema: {
          summary: 'Pseudonymisation mode: reveal the identity behind a pseudonym (recorded in the audit log)',
          tags: ['auth'],
          params: z.object({ pseudonym: z.string().regex(/^p_[0-9a-f]{20}$/) }),
          body: z.strictObject({ reason: z.string().min(3).max(1000) }),
          response: { 200: z.object({ pseudonym: z.string(), identity: z.string() }), 400: errorSchema, 404: errorSchema },
        },
      },
      async (req) => {
        if (!deps.pseudonymizer) throw new HttpError(400, 'bad_request', 'pseudonymisation mode is off');
        const identity = await deps.pseudonymizer.reidentify(req.params.pseudonym);
        if (identity === null) throw new HttpError(404, 'not_found', `no pseudonym ${req.params.pseudonym}`);
        await deps.audit.record({ actor: actor(req), action: 'pseudonym.reidentify', target: req.params.pseudonym, before: null, after: { reason: req.body.reason } });
        return { pseudonym: req.params.pseudonym, identity };
      },
    );
  };
