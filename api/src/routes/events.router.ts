import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { queryRows } from '@shadow-ai/clickhouse';
import type { ApiDeps } from '../deps.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { errorSchema } from '../errors.ts';
import { isoOut, isoTime } from '../time-params.ts';

const eventSchema = z
  .object({
    ts: z.string(),
    user: z.string(),
    appId: z.string(),
    activity: z.string(),
    matchedBy: z.string(),
    kind: z.string(),
    format: z.string(),
    host: z.string(),
    url: z.string().nullable(),
    method: z.string().nullable(),
    status: z.number().nullable(),
    bytesOut: z.number().nullable(),
    bytesIn: z.number().nullable(),
    userAgent: z.string().nullable(),
    action: z.string().nullable(),
    srcIp: z.string().nullable(),
    destIp: z.string().nullable(),
    destPort: z.number().nullable(),
    destAsn: z.number().nullable(),
    destAsOrg: z.string().nullable(),
    destCountry: z.string().nullable(),
    catalogVersion: z.string(),
  })
  .meta({ id: 'AiEvent' });

interface Row {
  ts: string;
  user: string;
  app_id: string;
  activity: string;
  matched_by: string;
  kind: string;
  format: string;
  host: string;
  url: string | null;
  method: string | null;
  status: number | null;
  bytes_out: number | string | null;
  bytes_in: number | string | null;
  user_agent: string | null;
  action: string | null;
  src_ip: string | null;
  dest_ip: string | null;
  dest_port: number | null;
  dest_asn: number | string | null;
  dest_as_org: string | null;
  dest_country: string | null;
  catalog_version: string;
  src: string;
  src_offset: number | string;
  src_line: number | string;
}

const num = (v: number | string | null) => (v === null ? null : Number(v));

/** The stored AI events behind usage and findings: the evidence an analyst drills into. */
export const eventsRouter =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/events',
      { config: { access: 'viewer' },
        schema: {
          summary: 'Stored AI app events, newest first, with destination enrichment',
          tags: ['events'],
          querystring: z.strictObject({
            user: z.string().min(1).max(256).optional(),
            app: z.string().min(1).max(64).optional(),
            since: isoTime.optional(),
            until: isoTime.optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
            cursor: z.string().max(1024).optional(),
          }),
          response: { 200: z.object({ items: z.array(eventSchema), nextCursor: z.string().nullable() }), 400: errorSchema },
        },
      },
      async (req) => {
        const q = req.query;
        const where = ["app_id != ''"];
        const params: Record<string, unknown> = { limit: q.limit + 1 };
        const add = (clause: string, name: string, value: unknown) => {
          where.push(clause);
          params[name] = value;
        };
        if (q.user) add('user = {user:String}', 'user', q.user);
        if (q.app) add('app_id = {app:String}', 'app', q.app);
        if (q.since) add("ts >= {since:DateTime64(3, 'UTC')}", 'since', q.since);
        if (q.until) add("ts < {until:DateTime64(3, 'UTC')}", 'until', q.until);
        if (q.cursor) {
          const [ts, src, off, line] = decodeCursor(q.cursor, ['string', 'string', 'number', 'number']);
          where.push("(ts, src, src_offset, src_line) < ({c_ts:DateTime64(3, 'UTC')}, {c_src:String}, {c_off:UInt64}, {c_line:UInt32})");
          Object.assign(params, { c_ts: ts, c_src: src, c_off: off, c_line: line });
        }
        const rows = await queryRows<Row>(
          deps.client,
          `SELECT ts, user, app_id, activity, matched_by, kind, format, host, url, method, status, bytes_out, bytes_in, user_agent,
                  action, src_ip, dest_ip, dest_port, dest_asn, dest_as_org, dest_country, catalog_version, src, src_offset, src_line
           FROM events WHERE ${where.join(' AND ')}
           ORDER BY ts DESC, src DESC, src_offset DESC, src_line DESC LIMIT {limit:UInt32}`,
          params,
        );
        const page = rows.slice(0, q.limit);
        const last = page[page.length - 1];
        return {
          items: page.map((r) => ({
            ts: isoOut(r.ts),
            user: r.user,
            appId: r.app_id,
            activity: r.activity,
            matchedBy: r.matched_by,
            kind: r.kind,
            format: r.format,
            host: r.host,
            url: r.url,
            method: r.method,
            status: num(r.status),
            bytesOut: num(r.bytes_out),
            bytesIn: num(r.bytes_in),
            userAgent: r.user_agent,
            action: r.action,
            srcIp: r.src_ip,
            destIp: r.dest_ip,
            destPort: num(r.dest_port),
            destAsn: num(r.dest_asn),
            destAsOrg: r.dest_as_org,
            destCountry: r.dest_country,
            catalogVersion: r.catalog_version,
          })),
          nextCursor:
            rows.length > q.limit && last ? encodeCursor([last.ts, last.src, Number(last.src_offset), Number(last.src_line)]) : null,
        };
      },
    );
  };
