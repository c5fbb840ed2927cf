/**
 * How a finding looks on the wire to a SIEM: ArcSight CEF, QRadar LEEF 2.0, or a JSON document
 * (webhook, Splunk HEC, Kafka). Every rendering carries the finding id and the idempotency id of the
 * finding version, so a receiver can drop the duplicates an at-least-once outbox may produce.
 *
 * Severity: findings score 0–100 (see `severityOf` in rules.ts); CEF wants 0–10 and LEEF 1–10. The
 * mapping is `round(severity / 10)` clamped to 0–10 (LEEF: at least 1), which keeps ArcSight's bands
 * (0–3 Low, 4–6 Medium, 7–8 High, 9–10 Very-High) meaningful for the type bases: a new app in the
 * organisation (30) is Low (3), an unsanctioned app with little use (40) Medium (4), an enforcement gap
 * (70) High (7), an orphaned agent with heavy use (90+) Very-High. The exact 0–100 score travels as
 * well (CEF `cn1`, LEEF and JSON `severity`), so nothing is lost by the rounding.
 */
import type { FindingRow } from '../findings.detector.ts';
import { FINDING_DEFINITIONS } from '../rules.ts';

export const DEVICE_VENDOR = 'Shadow AI Watch';
export const DEVICE_PRODUCT = 'shadow-ai';
export const DEVICE_VERSION = '0.1.0';
/** `schema` of the JSON document; bumped when a field changes meaning. */
export const FINDING_JSON_SCHEMA = 'shadow-ai.finding/1';

export type MessageFormat = 'cef' | 'leef' | 'json';
export const MESSAGE_FORMATS = ['cef', 'leef', 'json'] as const satisfies readonly MessageFormat[];

interface TypeDefinition {
  title: string;
  zeroTrust: string;
  nistAiRmf: string;
}
/** Looked up by string: a row written by a newer version may carry a type this build does not know. */
const DEFINITIONS: Readonly<Record<string, TypeDefinition | undefined>> = FINDING_DEFINITIONS;

/** The human-readable event name (CEF Name) of a finding type; SIEM rules key on the type itself. */
export function findingName(type: string): string {
  return DEFINITIONS[type]?.title ?? type;
}

/** `evidence` is a JSON object text; anything else is passed on as the text it is. */
function evidenceOf(finding: FindingRow): { text: string; value: unknown } {
  const text = typeof finding.evidence === 'string' ? finding.evidence : '';
  if (text === '' || text === '{}') return { text: '', value: {} };
  try {
    return { text, value: JSON.parse(text) as unknown };
  } catch {
    return { text, value: text };
  }
}

/** Rows enqueued before finding keys existed have none. */
function findingKeyOf(finding: FindingRow): string {
  return typeof finding.finding_key === 'string' ? finding.finding_key : '';
}

export interface FormatOptions {
  /** Idempotency id of this finding version for this destination (see `idempotencyId` in outbox.ts). */
  idempotencyId?: string;
  /** Overrides DEVICE_VERSION, e.g. with the running build's version. */
  deviceVersion?: string;
}

/** 0–100 → CEF 0–10: `round(s / 10)`, clamped; anything not a number is 0 (Unknown/Low). */
export function cefSeverity(severity: number): number {
  const s = Number(severity);
  if (!Number.isFinite(s)) return 0;
  return Math.min(10, Math.max(0, Math.round(s / 10)));
}

/** 0–100 → LEEF `sev` 1–10 (LEEF has no 0): the CEF mapping, at least 1. */
export function leefSeverity(severity: number): number {
  return Math.max(1, cefSeverity(severity));
}

/**
 * Epoch ms of a ClickHouse DateTime64 string (`2026-11-25 10:00:00.123`, UTC as stored) or of an
 * ISO-8601 string; NaN if neither. FindingRow times come from ClickHouse in the first form.
 */
export function findingTimeMs(value: string): number {
  const v = value.trim();
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(v)) return Date.parse(`${v.replace(' ', 'T')}Z`);
  return Date.parse(v);
}

function isoOrEmpty(value: string): string {
  const ms = findingTimeMs(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '';
}

// C0 controls and DEL. In CEF the newline has an escape; the others have none, and a control
// character in a syslog line makes receivers (ours included) reject or mangle it, so they become spaces.
const CONTROL_RE = /[\x00-\x1f\x7f]/g;
const CONTROL_EXCEPT_NEWLINES_RE = /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]/g;

/** CEF header field: `\` → `\\`, `|` → `\|`; line breaks and other controls → space (no escape exists). */
export function escapeCefHeader(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(CONTROL_RE, ' ');
}

/**
 * CEF extension value: `\` → `\\`, `=` → `\=`, CR LF / LF → `\n`, lone CR → `\r`; other controls →
 * space. `|` needs no escape in the extension (the spec says so; escaping it would show up literally).
 */
export function escapeCefValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/=/g, '\\=')
    .replace(/\r\n|\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(CONTROL_EXCEPT_NEWLINES_RE, ' ');
}

function num(value: number | string): string {
  const n = Number(value);
  return Number.isFinite(n) ? String(Math.trunc(n)) : '0';
}

/**
 * ArcSight CEF:
 * `CEF:0|Shadow AI Watch|shadow-ai|0.1.0|<type>|<name>|<severity 0–10>|<extension>`
 *
 * Extension keys: `rt` (the finding version's updated_at, epoch ms), `start` / `end` (first / last
 * seen, epoch ms), `suser` (user), `app` (catalog app id), `cat` (sanction status: unsanctioned,
 * blocked…), `act` (triage status), `cnt` (requests), `out` (bytes uploaded, client→server, as proxy
 * vendors use it), `in` (bytes downloaded), `externalId` (finding id, stable across versions so a SIEM
 * can correlate updates of one finding), `cs1Label=findingId cs1`, `cs2Label=idempotencyId cs2` (one
 * per finding version and destination: the de-duplication key), `cs3Label=evidence cs3` (the rule's
 * evidence as JSON, when there is any), `cs4Label=findingKey cs4` (what tells apart findings of one
 * type, user and app — the day of a spike, a candidate host — when set), `cn1Label=severity cn1` (0–100).
 */
export function toCef(finding: FindingRow, opts: FormatOptions = {}): string {
  const header = [
    'CEF:0',
    escapeCefHeader(DEVICE_VENDOR),
    escapeCefHeader(DEVICE_PRODUCT),
    escapeCefHeader(opts.deviceVersion ?? DEVICE_VERSION),
    escapeCefHeader(finding.type),
    escapeCefHeader(findingName(finding.type)),
    String(cefSeverity(finding.severity)),
  ].join('|');
  const ext: [string, string][] = [];
  const time = (key: string, value: string): void => {
    const ms = findingTimeMs(value);
    if (Number.isFinite(ms)) ext.push([key, String(ms)]);
  };
  time('rt', finding.updated_at);
  time('start', finding.first_seen);
  time('end', finding.last_seen);
  ext.push(
    ['suser', finding.user],
    ['app', finding.app_id],
    ['cat', finding.sanction],
    ['act', finding.status],
    ['cnt', num(finding.requests)],
    ['out', num(finding.bytes_out)],
    ['in', num(finding.bytes_in)],
    ['externalId', finding.id],
    ['cs1Label', 'findingId'],
    ['cs1', finding.id],
  );
  if (opts.idempotencyId !== undefined) ext.push(['cs2Label', 'idempotencyId'], ['cs2', opts.idempotencyId]);
  const evidence = evidenceOf(finding).text;
  if (evidence !== '') ext.push(['cs3Label', 'evidence'], ['cs3', evidence]);
  const key = findingKeyOf(finding);
  if (key !== '') ext.push(['cs4Label', 'findingKey'], ['cs4', key]);
  ext.push(['cn1Label', 'severity'], ['cn1', num(finding.severity)]);
  return `${header}|${ext.map(([k, v]) => `${k}=${escapeCefValue(v)}`).join(' ')}`;
}

/** LEEF has no escaping: the delimiter, line breaks and controls in a value become spaces. */
function leefValue(value: string): string {
  return value.replace(CONTROL_RE, ' ');
}

/** LEEF header fields are split on `|` without escapes, so a `|` cannot be kept. */
function leefHeader(value: string): string {
  return value.replace(/\|/g, '/').replace(CONTROL_RE, ' ');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
/** The devTime format sent along (Java SimpleDateFormat, as QRadar reads it). */
export const LEEF_DEV_TIME_FORMAT = 'MMM dd yyyy HH:mm:ss.SSS z';

function leefTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)} UTC`;
}

/**
 * IBM QRadar LEEF 2.0 with TAB as the attribute delimiter (declared as `x09` in the header):
 * `LEEF:2.0|Shadow AI Watch|shadow-ai|0.1.0|<type>|x09|devTime=…<TAB>…`
 *
 * Attributes: `devTime` + `devTimeFormat` (updated_at, UTC), `cat` (sanction), `sev` (1–10),
 * `usrName`, `srcBytes` (uploaded) / `dstBytes` (downloaded) — QRadar's predefined keys — and the
 * custom keys `app`, `requests`, `status`, `severity` (0–100), `firstSeen` / `lastSeen` (ISO-8601),
 * `name`, `findingId`, `findingKey` and `evidence` (JSON) when set, `idempotencyId`.
 */
export function toLeef(finding: FindingRow, opts: FormatOptions = {}): string {
  const header = [
    'LEEF:2.0',
    leefHeader(DEVICE_VENDOR),
    leefHeader(DEVICE_PRODUCT),
    leefHeader(opts.deviceVersion ?? DEVICE_VERSION),
    leefHeader(finding.type),
    'x09',
  ].join('|');
  const attrs: [string, string][] = [];
  const updated = findingTimeMs(finding.updated_at);
  if (Number.isFinite(updated)) attrs.push(['devTime', leefTime(updated)], ['devTimeFormat', LEEF_DEV_TIME_FORMAT]);
  attrs.push(
    ['cat', finding.sanction],
    ['sev', String(leefSeverity(finding.severity))],
    ['usrName', finding.user],
    ['app', finding.app_id],
    ['requests', num(finding.requests)],
    ['srcBytes', num(finding.bytes_out)],
    ['dstBytes', num(finding.bytes_in)],
    ['status', finding.status],
    ['severity', num(finding.severity)],
    ['firstSeen', isoOrEmpty(finding.first_seen)],
    ['lastSeen', isoOrEmpty(finding.last_seen)],
    ['name', findingName(finding.type)],
    ['findingId', finding.id],
  );
  const key = findingKeyOf(finding);
  if (key !== '') attrs.push(['findingKey', key]);
  const evidence = evidenceOf(finding).text;
  if (evidence !== '') attrs.push(['evidence', evidence]);
  if (opts.idempotencyId !== undefined) attrs.push(['idempotencyId', opts.idempotencyId]);
  return `${header}|${attrs.map(([k, v]) => `${k}=${leefValue(v)}`).join('\t')}`;
}

/** The JSON document sent to webhooks, Splunk HEC (as `event`) and Kafka (as the record value). */
export interface FindingDocument {
  schema: typeof FINDING_JSON_SCHEMA;
  /** Present when rendered for a destination: the de-duplication key of this finding version. */
  idempotencyId?: string;
  findingId: string;
  type: string;
  name: string;
  user: string;
  appId: string;
  sanction: string;
  /** 0–100. */
  severity: number;
  /** The same mapped to CEF's 0–10. */
  severityLevel: number;
  status: string;
  /** ISO-8601 UTC. */
  firstSeen: string;
  lastSeen: string;
  updatedAt: string;
  requests: number;
  bytesOut: number;
  bytesIn: number;
  /** Distinguishes findings of one type, user and app (a day, a host); '' when not needed. */
  findingKey: string;
  /** What the rule saw, as the detector recorded it (an object; {} when none). */
  evidence: unknown;
  /** Framework mapping of the finding type, when this build knows the type. */
  frameworks?: { zeroTrust: string; nistAiRmf: string };
  product: { vendor: string; name: string; version: string };
}

export function toJson(finding: FindingRow, opts: FormatOptions = {}): FindingDocument {
  const definition = DEFINITIONS[finding.type];
  const doc: FindingDocument = {
    schema: FINDING_JSON_SCHEMA,
    findingId: finding.id,
    type: finding.type,
    name: findingName(finding.type),
    user: finding.user,
    appId: finding.app_id,
    sanction: finding.sanction,
    severity: Number(finding.severity),
    severityLevel: cefSeverity(finding.severity),
    status: finding.status,
    firstSeen: isoOrEmpty(finding.first_seen),
    lastSeen: isoOrEmpty(finding.last_seen),
    updatedAt: isoOrEmpty(finding.updated_at),
    requests: Number(finding.requests),
    bytesOut: Number(finding.bytes_out),
    bytesIn: Number(finding.bytes_in),
    findingKey: findingKeyOf(finding),
    evidence: evidenceOf(finding).value,
    ...(definition ? { frameworks: { zeroTrust: definition.zeroTrust, nistAiRmf: definition.nistAiRmf } } : {}),
    product: { vendor: DEVICE_VENDOR, name: DEVICE_PRODUCT, version: opts.deviceVersion ?? DEVICE_VERSION },
  };
  // Key order: the idempotency id first, where a human reading a payload looks.
  return opts.idempotencyId === undefined ? doc : { idempotencyId: opts.idempotencyId, ...doc };
}

/** One finding rendered in `format`: a single line (CEF, LEEF) or a JSON text. */
export function renderFinding(finding: FindingRow, format: MessageFormat, opts: FormatOptions = {}): string {
  switch (format) {
    case 'cef':
      return toCef(finding, opts);
    case 'leef':
      return toLeef(finding, opts);
    case 'json':
      return JSON.stringify(toJson(finding, opts));
  }
}
