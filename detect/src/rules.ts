import type { ClickHouseClient } from '@clickhouse/client';
import { riskScore, type Catalog } from '@shadow-ai/catalog';
import { queryRows } from '@shadow-ai/clickhouse';
import type { AgentRegistry } from './agents.ts';
import { CANDIDATE_MIN_SCORE } from './candidates.step.ts';
import type { Sanctions } from './sanctions.ts';

export const FINDING_TYPES = [
  'unsanctioned-app',
  'blocked-app-attempt',
  'enforcement-gap',
  'new-app-in-org',
  'large-upload',
  'programmatic-api-use',
  'unregistered-agent',
  'orphaned-agent',
  'agent-outside-allowlist',
  'new-candidate-service',
  'usage-spike',
  'doh-resolver',
] as const;
export type FindingType = (typeof FINDING_TYPES)[number];

/**
 * What each finding type means, how severe it starts, and what it serves: the Zero Trust principle,
 * the NIST AI RMF function (Govern, Map, Measure, Manage) it supports and, only where the technique
 * describes what the finding sees, the MITRE ATLAS technique (AML.T0040 AI Model Inference API Access:
 * working credentials of an unaccounted-for machine identity give access to AI models' APIs).
 */
export const FINDING_DEFINITIONS: Record<FindingType, { title: string; trigger: string; base: number; zeroTrust: string; nistAiRmf: string; atlas?: string }> = {
  'unsanctioned-app': { title: 'Unsanctioned AI app in use', trigger: 'a user reached an AI app whose status is unsanctioned or blocked for them', base: 40, zeroTrust: 'verify explicitly', nistAiRmf: 'Map' },
  'blocked-app-attempt': { title: 'Attempts to reach a blocked AI app', trigger: 'the proxy or resolver blocked requests of a user to a blocked app', base: 45, zeroTrust: 'verify explicitly', nistAiRmf: 'Manage' },
  'enforcement-gap': { title: 'Blocked AI app reached anyway', trigger: 'requests to a blocked app were allowed (a proxy that let it through, or an alternate domain)', base: 70, zeroTrust: 'assume breach', nistAiRmf: 'Manage' },
  'new-app-in-org': { title: 'AI app seen for the first time', trigger: 'the first use of an AI app anywhere in the organisation', base: 30, zeroTrust: 'verify explicitly', nistAiRmf: 'Map' },
  'large-upload': { title: 'Large upload to an AI app', trigger: 'a user uploaded more than the threshold in a day to an unsanctioned or unknown AI app, and well above their own baseline', base: 60, zeroTrust: 'assume breach', nistAiRmf: 'Manage' },
  'programmatic-api-use': { title: 'Programmatic LLM API use', trigger: 'API-signature or SDK user-agent traffic to an AI app from a user or a machine', base: 45, zeroTrust: 'least privilege', nistAiRmf: 'Map' },
  'unregistered-agent': { title: 'AI traffic from an unregistered machine identity', trigger: 'a machine identity (an address without a user, or a service-account name) called an AI API and is not in the agent registry', base: 60, zeroTrust: 'verify explicitly', nistAiRmf: 'Govern', atlas: 'AML.T0040' },
  'orphaned-agent': { title: 'Orphaned AI agent', trigger: 'a registered agent whose sponsor is missing or whose registration expired still calls AI services', base: 75, zeroTrust: 'least privilege', nistAiRmf: 'Govern', atlas: 'AML.T0040' },
  'agent-outside-allowlist': { title: 'Agent using an app outside its allowed list', trigger: 'a registered agent called an AI app it is not allowed to use', base: 65, zeroTrust: 'least privilege', nistAiRmf: 'Manage' },
  'new-candidate-service': { title: 'Possible AI service not in the catalog', trigger: 'traffic to an uncatalogued host shows AI signals (LLM API paths, SDK user agents, MCP endpoints)', base: 35, zeroTrust: 'verify explicitly', nistAiRmf: 'Map' },
  'usage-spike': { title: 'Usage spike of an AI app', trigger: "an app's daily requests reached the spike factor times its average of the previous 7 days", base: 40, zeroTrust: 'assume breach', nistAiRmf: 'Measure' },
  'doh-resolver': { title: 'DNS-over-HTTPS resolver in use', trigger: 'a client used a public DoH resolver, which hides its lookups from DNS logs and DNS blocking', base: 50, zeroTrust: 'verify explicitly', nistAiRmf: 'Manage' },
};

/**
 * Severity 0–100 = the type's base (+20 for use of an app that is blocked), adjusted by the app's risk
 * score (0–10, 5 neutral: ±3 per point), plus 5 per order of magnitude of requests (at most 20) and 10
 * per order of magnitude of MiB uploaded.
 */
export function severityOf(type: FindingType, appRisk: number | null, requests: number, bytesOut: number, sanction?: string): number {
  const blocked = type === 'unsanctioned-app' && sanction === 'blocked' ? 20 : 0;
  const risk = (appRisk === null ? 0 : (appRisk - 5) * 3) + blocked;
  const volume = Math.min(20, 5 * Math.floor(Math.log10(Math.max(1, requests))));
  const upload = 10 * Math.floor(Math.log10(1 + bytesOut / 1048576));
  return Math.max(0, Math.min(100, Math.round(FINDING_DEFINITIONS[type].base + risk + volume + upload)));
}

/** A finding as a rule derives it, before id, severity and triage. */
export interface Derived {
  type: FindingType;
  user: string;
  appId: string;
  /** distinguishes findings of one (type, user, app): the day of a large upload or spike, a candidate host */
  key: string;
  firstSeen: string;
  lastSeen: string;
  requests: number;
  bytesOut: number;
  bytesIn: number;
  evidence: Record<string, unknown>;
}

export interface RuleConfig {
  largeUploadBytes: number;
  uploadBaselineFactor: number;
  spikeFactor: number;
  spikeMinRequests: number;
  /** user names of machine identities (service accounts), e.g. ^(svc|sa|app|bot)[-_.] or a trailing $ */
  agentUserPattern: RegExp;
}

export interface RuleContext {
  client: ClickHouseClient;
  sanctions: Sanctions;
  catalog: Catalog;
  agents: AgentRegistry | null;
  config: RuleConfig;
  /** limit to these apps and users (touched since the last run); null: everything */
  filter: { apps: string[]; users: string[] } | null;
}

type Num = number | string;
const n = (v: Num) => Number(v);

interface Totals {
  user: string;
  app_id: string;
  first_seen: string;
  last_seen: string;
  requests: Num;
  blocked: Num;
  bytes_out: Num;
  bytes_in: Num;
}

function usageWhere(ctx: RuleContext): { where: string; params: Record<string, unknown> } {
  return ctx.filter
    ? { where: 'WHERE app_id IN {apps:Array(String)} AND user IN {users:Array(String)}', params: ctx.filter }
    : { where: '', params: {} };
}

/** Per-(user, app) rules over the usage totals: unsanctioned use, blocked attempts, enforcement gaps. */
async function sanctionRules(ctx: RuleContext): Promise<Derived[]> {
  const { where, params } = usageWhere(ctx);
  const totals = await queryRows<Totals>(
    ctx.client,
    `SELECT user, app_id, min(first_seen) AS first_seen, max(last_seen) AS last_seen, sum(requests) AS requests,
            sum(blocked) AS blocked, sum(bytes_out) AS bytes_out, sum(bytes_in) AS bytes_in
     FROM usage_daily ${where} GROUP BY user, app_id`,
    params,
  );
  const out: Derived[] = [];
  for (const t of totals) {
    const status = ctx.sanctions.statusOf(t.app_id, t.user);
    const base = { user: t.user, appId: t.app_id, key: '', firstSeen: t.first_seen, lastSeen: t.last_seen, bytesOut: n(t.bytes_out), bytesIn: n(t.bytes_in) };
    if (status === 'unsanctioned' || status === 'blocked') {
      out.push({ ...base, type: 'unsanctioned-app', requests: n(t.requests), evidence: { sanction: status, requests: n(t.requests), blocked: n(t.blocked) } });
    }
    if (status === 'blocked' && n(t.blocked) > 0) {
      out.push({ ...base, type: 'blocked-app-attempt', requests: n(t.blocked), evidence: { blockedRequests: n(t.blocked) } });
    }
    const allowed = n(t.requests) - n(t.blocked);
    if (status === 'blocked' && allowed > 0) {
      const hosts = await queryRows<{ host: string; c: Num }>(
        ctx.client,
        `SELECT host, count() AS c FROM events WHERE app_id = {app:String} AND user = {user:String} AND ifNull(action, 'allowed') != 'blocked'
         GROUP BY host ORDER BY c DESC LIMIT 5`,
        { app: t.app_id, user: t.user },
      );
      out.push({ ...base, type: 'enforcement-gap', requests: allowed, evidence: { allowedRequests: allowed, hosts: hosts.map((h) => ({ host: h.host, requests: n(h.c) })) } });
    }
  }
  return out;
}

/** The first use of each app in the organisation (one finding per app, user empty). */
async function newAppRule(ctx: RuleContext): Promise<Derived[]> {
  const rows = await queryRows<{ app_id: string; org_first_seen: string; requests: Num; users: Num; first_user: string }>(
    ctx.client,
    `SELECT app_id, min(first_seen) AS org_first_seen, sum(requests) AS requests, uniqExact(user) AS users,
            argMin(user, usage_daily.first_seen) AS first_user
     FROM usage_daily ${ctx.filter ? 'WHERE app_id IN {apps:Array(String)}' : ''} GROUP BY app_id`,
    ctx.filter ? { apps: ctx.filter.apps } : {},
  );
  return rows.map((r) => ({
    type: 'new-app-in-org' as const,
    user: '',
    appId: r.app_id,
    key: '',
    firstSeen: r.org_first_seen,
    lastSeen: r.org_first_seen,
    // The organisation's first use is the finding; later traffic does not change it.
    requests: 1,
    bytesOut: 0,
    bytesIn: 0,
    evidence: { firstUser: r.first_user },
  }));
}

/** A user's daily upload to an unsanctioned (or unknown) app above the threshold and the user's baseline. */
async function largeUploadRule(ctx: RuleContext): Promise<Derived[]> {
  const { where, params } = usageWhere(ctx);
  const days = await queryRows<{ day: string; user: string; app_id: string; bytes_out: Num; requests: Num; first_seen: string; last_seen: string }>(
    ctx.client,
    `SELECT toString(day) AS day, user, app_id, sum(bytes_out) AS bytes_out, sum(requests) AS requests, min(first_seen) AS first_seen, max(last_seen) AS last_seen
     FROM usage_daily ${where} GROUP BY day, user, app_id HAVING bytes_out > {threshold:UInt64}`,
    { ...params, threshold: ctx.config.largeUploadBytes },
  );
  const out: Derived[] = [];
  for (const d of days) {
    if (ctx.sanctions.statusOf(d.app_id, d.user) === 'sanctioned') continue;
    const base = await queryRows<{ avg: Num | null }>(
      ctx.client,
      `SELECT sum(bytes_out) / 30 AS avg FROM usage_daily WHERE user = {user:String}
       AND day >= toDate({day:String}) - 30 AND day < toDate({day:String})`,
      { user: d.user, day: d.day },
    );
    const baseline = n(base[0]?.avg ?? 0);
    if (n(d.bytes_out) < ctx.config.uploadBaselineFactor * baseline) continue;
    out.push({
      type: 'large-upload',
      user: d.user,
      appId: d.app_id,
      key: d.day,
      firstSeen: d.first_seen,
      lastSeen: d.last_seen,
      requests: n(d.requests),
      bytesOut: n(d.bytes_out),
      bytesIn: 0,
      evidence: { day: d.day, bytesOut: n(d.bytes_out), dailyBaseline30d: Math.round(baseline), threshold: ctx.config.largeUploadBytes },
    });
  }
  return out;
}

/** Programmatic use (API signatures, SDK user agents) and the agent registry checks built on it. */
async function programmaticRules(ctx: RuleContext): Promise<Derived[]> {
  const { where, params } = usageWhere(ctx);
  const rows = await queryRows<{ user: string; app_id: string; requests: Num; bytes_out: Num; first_seen: string; last_seen: string; activities: string[]; sample_ua: string }>(
    ctx.client,
    `SELECT user, app_id, sum(requests) AS requests, sum(bytes_out) AS bytes_out, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
            groupUniqArray(activity) AS activities, any(sample_ua) AS sample_ua
     FROM activity_daily ${where ? `${where} AND` : 'WHERE'} (activity IN ('api-inference', 'agent', 'mcp') OR sdk = 1)
     GROUP BY user, app_id`,
    params,
  );
  const out: Derived[] = [];
  const now = Date.now();
  for (const r of rows) {
    const base = { user: r.user, appId: r.app_id, key: '', firstSeen: r.first_seen, lastSeen: r.last_seen, requests: n(r.requests), bytesOut: n(r.bytes_out), bytesIn: 0 };
    const evidence = { activities: [...r.activities].sort(), sampleUserAgent: r.sample_ua || null };
    out.push({ ...base, type: 'programmatic-api-use', evidence });
    const agent = ctx.agents?.forIdentity(r.user);
    if (agent) {
      const expired = agent.expiresAt !== null && Date.parse(agent.expiresAt) <= now;
      if (agent.sponsor.trim() === '' || expired) {
        out.push({ ...base, type: 'orphaned-agent', evidence: { ...evidence, agentId: agent.id, sponsor: agent.sponsor || null, expiresAt: agent.expiresAt, reason: expired ? 'registration expired' : 'no sponsor' } });
      }
      if (!agent.allowedApps.includes(r.app_id)) {
        out.push({ ...base, type: 'agent-outside-allowlist', evidence: { ...evidence, agentId: agent.id, allowedApps: agent.allowedApps } });
      }
    } else if (ctx.agents && isMachineIdentity(r.user, ctx.config.agentUserPattern)) {
      out.push({ ...base, type: 'unregistered-agent', evidence: { ...evidence, identity: r.user } });
    }
  }
  return out;
}

const IP_LIKE = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]+:[0-9a-f:]*)$/i;

/** An address without a user (a host or workload), or a user name of the service-account shape. */
export function isMachineIdentity(user: string, pattern: RegExp): boolean {
  return IP_LIKE.test(user) || pattern.test(user);
}

/** Uncatalogued hosts with AI signals, not yet reviewed. */
async function candidateRule(ctx: RuleContext): Promise<Derived[]> {
  const rows = await queryRows<{ host: string; requests: Num; users: Num; signals: string[]; score: Num; first_seen: string; last_seen: string }>(
    ctx.client,
    `SELECT c.host AS host, sum(c.requests) AS requests, uniqMerge(c.users) AS users, groupUniqArrayArray(c.signals) AS signals,
            max(c.score) AS score, min(c.first_seen) AS first_seen, max(c.last_seen) AS last_seen
     FROM candidates AS c
     WHERE c.host NOT IN (SELECT host FROM candidate_reviews FINAL)
     GROUP BY c.host HAVING score >= {min:UInt8}`,
    { min: CANDIDATE_MIN_SCORE },
  );
  return rows
    .filter((r) => !ctx.catalog.matcher.match({ host: r.host }))
    .map((r) => ({
      type: 'new-candidate-service' as const,
      user: '',
      appId: '',
      key: r.host,
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      requests: n(r.requests),
      bytesOut: 0,
      bytesIn: 0,
      evidence: { host: r.host, score: n(r.score), signals: [...r.signals].sort(), users: n(r.users) },
    }));
}

/** Days on which an app's requests reached spikeFactor × its average of the 7 days before. */
async function spikeRule(ctx: RuleContext): Promise<Derived[]> {
  const rows = await queryRows<{ app_id: string; day: string; requests: Num; prev: Num; first_seen: string; last_seen: string }>(
    ctx.client,
    `SELECT app_id, toString(day) AS day, requests, prev, first_seen, last_seen FROM (
       SELECT app_id, day, requests, first_seen, last_seen,
              sum(requests) OVER (PARTITION BY app_id ORDER BY day RANGE BETWEEN 7 PRECEDING AND 1 PRECEDING) AS prev
       FROM (SELECT app_id, day, sum(requests) AS requests, min(first_seen) AS first_seen, max(last_seen) AS last_seen
             FROM usage_daily ${ctx.filter ? 'WHERE app_id IN {apps:Array(String)}' : ''} GROUP BY app_id, day)
     )
     WHERE requests >= {min:UInt64} AND prev > 0 AND requests >= {factor:Float64} * prev / 7`,
    { ...(ctx.filter ? { apps: ctx.filter.apps } : {}), min: ctx.config.spikeMinRequests, factor: ctx.config.spikeFactor },
  );
  return rows.map((r) => ({
    type: 'usage-spike' as const,
    user: '',
    appId: r.app_id,
    key: r.day,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    requests: n(r.requests),
    bytesOut: 0,
    bytesIn: 0,
    evidence: { day: r.day, requests: n(r.requests), average7d: Math.round((n(r.prev) / 7) * 10) / 10 },
  }));
}

/** Clients using public DNS-over-HTTPS resolvers. */
async function dohRule(ctx: RuleContext): Promise<Derived[]> {
  const rows = await queryRows<{ user: string; requests: Num; hosts: string[]; first_seen: string; last_seen: string }>(
    ctx.client,
    `SELECT user, sum(requests) AS requests, groupUniqArray(5)(host) AS hosts, min(first_seen) AS first_seen, max(last_seen) AS last_seen
     FROM signal_daily WHERE signal = 'doh-resolver' ${ctx.filter ? 'AND user IN {users:Array(String)}' : ''} GROUP BY user`,
    ctx.filter ? { users: ctx.filter.users } : {},
  );
  return rows.map((r) => ({
    type: 'doh-resolver' as const,
    user: r.user,
    appId: '',
    key: '',
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    requests: n(r.requests),
    bytesOut: 0,
    bytesIn: 0,
    evidence: { resolvers: [...r.hosts].sort() },
  }));
}

export const RULES = [sanctionRules, newAppRule, largeUploadRule, programmaticRules, candidateRule, spikeRule, dohRule];

export function appRisk(catalog: Catalog, appId: string): number | null {
  const app = catalog.get(appId);
  return app ? riskScore(app.risk) : null;
}
