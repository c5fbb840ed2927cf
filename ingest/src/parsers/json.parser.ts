/**
 * Generic JSON lines, one object per line, mapped by `opts.fieldMap`: for each NormalizedEvent field, the
 * dotted path of the JSON value that holds it, e.g.
 *   `{ ts: '@timestamp', host: 'destination.domain', user: 'user.name', srcIp: 'source.ip', url: 'url.full',
 *      bytesOut: 'http.request.bytes' }`
 * A path segment may itself contain dots: `source.ip` finds `{"source":{"ip":…}}` and `{"source.ip":…}` alike
 * (the longest key that exists wins); numeric segments index arrays.
 *
 * Config rules (the factory throws, since these are config bugs): fieldMap must map `ts` and `host`; keys must be
 * event fields other than `format`; paths must be non-empty dotted paths.
 *
 * Values are type-checked: ts is an ISO 8601 string (no offset: opts.timeZone) or epoch seconds/ms (number or
 * digit string); destPort, status, bytesOut and bytesIn are non-negative integers (numbers or digit strings);
 * srcIp/destIp are IP addresses; host is a hostname, IP, host:port or URL (lowercased); kind, when mapped, is
 * one of proxy/dns/tls/flow (default proxy); action is allowed/blocked or a device word (block, deny, permit…);
 * dnsType/dnsRcode are names or numbers. Strings are trimmed; '' and '-' are null. A present value of the wrong
 * type rejects the line with the field and path in the reason. A missing host is taken from the URL when
 * url is mapped; a missing port from the host or URL.
 */
import {
  EVENT_FIELDS, emptyEvent, parsed, rejected, type EventKind, type NormalizedEvent, type ParseResult,
  type ParserFactory,
} from '@shadow-ai/core';
import { ipVersion, isDigits, isoTimestamp, urlTarget } from './fields.util.ts';
import {
  actionFromWord, dnsRcodeFromText, dnsRcodeName, dnsTypeFromText, dnsTypeName, epochNumberToMillis, hostAndPort,
  parseIsoMillis, resolveTimeZone, validEpochMs,
} from './common.util.ts';

export const JSON_FORMAT = 'json';

type Field = keyof NormalizedEvent;

interface CompiledPath {
  text: string;
  segments: readonly string[];
  /** keys[i][j]: segments i..j-1 joined with dots */
  keys: readonly (readonly string[])[];
}

const KINDS: ReadonlySet<string> = new Set(['proxy', 'dns', 'tls', 'flow']);
const MAPPABLE = EVENT_FIELDS.filter((f) => f !== 'format') as readonly Exclude<Field, 'format'>[];

/** Stateless; the compiled field map lives in the closure. Throws on a bad fieldMap or time zone. */
export const createJsonParser: ParserFactory = (opts) => {
  const zone = resolveTimeZone(opts, JSON_FORMAT);
  const map = opts?.fieldMap as Record<string, unknown> | undefined;
  if (map === undefined || map === null || typeof map !== 'object') {
    throw new Error('json: opts.fieldMap is required: the JSON path of each event field, e.g. '
      + '{ "ts": "@timestamp", "host": "destination.domain" }');
  }
  const plan = Object.fromEntries(MAPPABLE.map((f) => [f, null])) as Plan;
  for (const [field, path] of Object.entries(map)) {
    if (path === undefined) continue;
    if (field === 'format') throw new Error('json: fieldMap cannot map format: it is always "json"');
    if (!(MAPPABLE as readonly string[]).includes(field)) {
      throw new Error(`json: fieldMap has unknown event field "${field}" (known: ${MAPPABLE.join(', ')})`);
    }
    if (typeof path !== 'string' || path.trim() === '' || path.split('.').some((s) => s === '')) {
      throw new Error(`json: fieldMap.${field} must be a dotted path like "source.ip", got ${JSON.stringify(path)}`);
    }
    plan[field as keyof Plan] = compilePath(path.trim());
  }
  if (plan.ts === null || plan.host === null) {
    throw new Error('json: fieldMap must map ts and host (e.g. { "ts": "@timestamp", "host": "destination.domain" })');
  }
  return (line) => parseJson(line, zone, plan);
};

function compilePath(text: string): CompiledPath {
  const segments = text.split('.');
  const keys = segments.map((_, i) => segments.map((__, j) => (j < i ? '' : segments.slice(i, j + 1).join('.'))));
  return { text, segments, keys };
}

/** The value at a compiled path, or undefined; at each level the longest dotted key that exists wins. */
function resolve(value: unknown, path: CompiledPath, i: number): unknown {
  if (i === path.segments.length) return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const row = path.keys[i] ?? [];
  for (let j = path.segments.length - 1; j >= i; j--) {
    const key = row[j] ?? '';
    if (!Object.hasOwn(value, key)) continue;
    const found = resolve((value as Record<string, unknown>)[key], path, j + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The compiled field map: one slot per event field, null when the map does not name it. */
type Plan = Record<Exclude<Field, 'format'>, CompiledPath | null>;

function valueAt(obj: unknown, path: CompiledPath | null): unknown {
  if (path === null) return undefined;
  const v = resolve(obj, path, 0);
  return v === null ? undefined : v;
}

/** A trimmed string ('' and '-' → null, absent → null), a finite number as text; undefined for other types. */
function textAt(obj: unknown, path: CompiledPath | null): string | null | undefined {
  const v = valueAt(obj, path);
  if (v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  return s === '' || s === '-' ? null : s;
}

function bad(plan: Plan, field: Exclude<Field, 'format'>, expected: string): ParseResult {
  return rejected(`bad ${field} at ${plan[field]?.text}: expected ${expected}`);
}

function parseJson(rawLine: string, zone: string, plan: Plan): ParseResult {
  const line = rawLine.trim();
  if (line.length === 0) return rejected('empty line');
  if (line.charCodeAt(0) !== 123 /* { */) return rejected('not a JSON object line');
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (e) {
    return rejected(`invalid JSON: ${(e as Error).message.slice(0, 80)}`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return rejected('not a JSON object line');

  const tsValue = valueAt(obj, plan.ts);
  if (tsValue === undefined) return rejected(`missing ts at ${plan.ts?.text}`);
  const ms = timeValue(tsValue, zone);
  if (ms === undefined) return bad(plan, 'ts', 'an ISO 8601 time or epoch seconds/milliseconds');

  const url = textAt(obj, plan.url);
  if (url === undefined) return bad(plan, 'url', 'a string');
  const hostText = textAt(obj, plan.host);
  if (hostText === undefined) return bad(plan, 'host', 'a string');
  let host: string | null = null;
  let impliedPort: number | null = null;
  if (hostText !== null) {
    const target = hostAndPort(hostText);
    if (target === undefined) return bad(plan, 'host', 'a hostname, IP address or URL');
    host = target.host;
    impliedPort = target.port;
  } else if (url !== null) {
    const target = urlTarget(url);
    host = target.host;
    impliedPort = target.port;
  }
  if (host === null) return rejected(`missing host at ${plan.host?.text}${plan.url ? ' (and no host in the URL)' : ''}`);
  if (url !== null && impliedPort === null) impliedPort = urlTarget(url).port;

  let kind: EventKind = 'proxy';
  if (plan.kind !== null) {
    const k = textAt(obj, plan.kind);
    const lower = k?.toLowerCase();
    if (k === undefined || (lower !== undefined && !KINDS.has(lower))) return bad(plan, 'kind', 'proxy, dns, tls or flow');
    if (lower !== undefined) kind = lower as EventKind;
  }
  const event = emptyEvent(kind, JSON_FORMAT, isoTimestamp(ms));
  event.host = host;
  event.url = url;

  const srcIp = textAt(obj, plan.srcIp);
  if (srcIp === undefined || (srcIp !== null && ipVersion(srcIp) === 0)) return bad(plan, 'srcIp', 'an IP address');
  event.srcIp = srcIp;
  const destIp = textAt(obj, plan.destIp);
  if (destIp === undefined || (destIp !== null && ipVersion(destIp) === 0)) return bad(plan, 'destIp', 'an IP address');
  event.destIp = destIp;
  const user = textAt(obj, plan.user);
  if (user === undefined) return bad(plan, 'user', 'a string');
  event.user = user;
  const method = textAt(obj, plan.method);
  if (method === undefined) return bad(plan, 'method', 'a string');
  event.method = method;
  const userAgent = textAt(obj, plan.userAgent);
  if (userAgent === undefined) return bad(plan, 'userAgent', 'a string');
  event.userAgent = userAgent;

  const port = integer(valueAt(obj, plan.destPort), 65535);
  if (port === undefined) return bad(plan, 'destPort', 'a port 1-65535');
  event.destPort = port === 0 ? null : (port ?? impliedPort);
  const status = integer(valueAt(obj, plan.status), 999);
  if (status === undefined || (status !== null && status !== 0 && status < 100)) return bad(plan, 'status', 'an HTTP status');
  event.status = status === 0 ? null : status;
  const bytesOut = integer(valueAt(obj, plan.bytesOut), Number.MAX_SAFE_INTEGER);
  if (bytesOut === undefined) return bad(plan, 'bytesOut', 'a non-negative integer byte count');
  event.bytesOut = bytesOut;
  const bytesIn = integer(valueAt(obj, plan.bytesIn), Number.MAX_SAFE_INTEGER);
  if (bytesIn === undefined) return bad(plan, 'bytesIn', 'a non-negative integer byte count');
  event.bytesIn = bytesIn;

  const action = textAt(obj, plan.action);
  if (action === undefined) return bad(plan, 'action', 'a string');
  event.action = action === null ? null : actionFromWord(action);
  if (plan.dnsType !== null) {
    const v = valueAt(obj, plan.dnsType);
    const name = v === undefined ? null : typeof v === 'number' ? dnsTypeName(v)
      : typeof v === 'string' ? (v.trim() === '' ? null : dnsTypeFromText(v.trim())) : undefined;
    if (name === undefined) return bad(plan, 'dnsType', 'a query type name or number');
    event.dnsType = name;
  }
  if (plan.dnsRcode !== null) {
    const v = valueAt(obj, plan.dnsRcode);
    const name = v === undefined ? null : typeof v === 'number' ? dnsRcodeName(v)
      : typeof v === 'string' ? (v.trim() === '' ? null : dnsRcodeFromText(v.trim())) : undefined;
    if (name === undefined) return bad(plan, 'dnsRcode', 'a response code name or number');
    event.dnsRcode = name;
  }
  return parsed(event);
}

/** ISO 8601 (offset-less → zone), epoch seconds/ms as a number or a numeric string. */
function timeValue(v: unknown, zone: string): number | undefined {
  if (typeof v === 'number') return epochNumberToMillis(v);
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  const dot = s.indexOf('.');
  if (isDigits(dot === -1 ? s : s.slice(0, dot)) && (dot === -1 || isDigits(s.slice(dot + 1)))) {
    return s.length <= 24 ? epochNumberToMillis(Number(s)) : undefined;
  }
  const ms = parseIsoMillis(s, zone);
  return ms !== undefined && validEpochMs(ms) ? ms : undefined;
}

/** A non-negative integer ≤ max from a number or digit string; null when absent; undefined when malformed. */
function integer(v: unknown, max: number): number | null | undefined {
  if (v === undefined) return null;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    const s = v.trim();
    if (s === '' || s === '-') return null;
    if (s.length > 15 || !isDigits(s)) return undefined;
    n = Number(s);
  } else {
    return undefined;
  }
  return Number.isSafeInteger(n) && n >= 0 && n <= max ? n : undefined;
}
