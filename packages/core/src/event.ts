/**
 * The contract between parsers and everything downstream. JSON field names are relied on by
 * people and scripts outside the code (see ../shared/DESIGN.md): keep them.
 * A field the log does not carry is `null`, never a guess.
 */
export type EventKind = 'proxy' | 'dns' | 'tls' | 'flow';
export type EventAction = 'allowed' | 'blocked';

export interface NormalizedEvent {
  /** ISO-8601 UTC with milliseconds, e.g. 2026-11-25T10:00:00.123Z */
  ts: string;
  kind: EventKind;
  /** parser id, e.g. `squid`, `bind` */
  format: string;
  user: string | null;
  srcIp: string | null;
  /** destination host or DNS query name: lowercase, no trailing dot */
  host: string | null;
  destIp: string | null;
  destPort: number | null;
  url: string | null;
  method: string | null;
  status: number | null;
  /** client → server */
  bytesOut: number | null;
  /** server → client */
  bytesIn: number | null;
  userAgent: string | null;
  action: EventAction | null;
  dnsType: string | null;
  dnsRcode: string | null;
}

/** An expected outcome for a line that cannot be turned into an event. Never thrown. */
export interface ParseError {
  ok: false;
  reason: string;
  /**
   * true for a line that is not an event but nothing is wrong with it: a header that sets the layout
   * of the lines after it (Zeek `#fields`, W3C `#Fields:`), a comment. Not dead-lettered.
   */
  skip?: boolean;
}

export interface Parsed {
  ok: true;
  event: NormalizedEvent;
}

export type ParseResult = Parsed | ParseError;

/** What a parser may use besides the line itself. */
export interface ParseContext {
  /**
   * When the transport received the line (Kafka message timestamp, HTTP request time).
   * Used only by formats whose lines can lack a date (BIND without the leading timestamp).
   */
  receivedAt: Date;
}

export type LineParser = (line: string, ctx: ParseContext) => ParseResult;

/** How a parser instance is set up for one source (a Kafka topic, a file, an HTTP batch, a syslog sender). */
export interface ParserOptions {
  /**
   * IANA time zone for formats whose timestamps carry no offset (BIND, Windows DNS, …). Default UTC.
   */
  timeZone?: string;
  /**
   * `json` format: where each NormalizedEvent field is found in a JSON log object, as a dotted path,
   * e.g. `{ "host": "destination.domain", "user": "user.name", "ts": "@timestamp" }`.
   */
  fieldMap?: Partial<Record<keyof NormalizedEvent, string>>;
  /** `squid-custom` format: the logformat directive copied from squid.conf. */
  squidLogformat?: string;
}

/**
 * Makes the parser for one stream of lines. Formats whose layout is declared by header lines keep that
 * layout in the instance, so each stream (file, Kafka partition, HTTP batch) gets its own instance.
 */
export type ParserFactory = (opts?: ParserOptions) => LineParser;

export const EVENT_FIELDS = [
  'ts', 'kind', 'format', 'user', 'srcIp', 'host', 'destIp', 'destPort', 'url', 'method', 'status',
  'bytesOut', 'bytesIn', 'userAgent', 'action', 'dnsType', 'dnsRcode',
] as const satisfies readonly (keyof NormalizedEvent)[];

export function parsed(event: NormalizedEvent): Parsed {
  return { ok: true, event };
}

export function rejected(reason: string): ParseError {
  return { ok: false, reason };
}

/** A header or comment line: no event, not an error. */
export function skipLine(reason: string): ParseError {
  return { ok: false, reason, skip: true };
}

/** Fills every field with null so a parser states only what its log carries. */
export function emptyEvent(kind: EventKind, format: string, ts: string): NormalizedEvent {
  return {
    ts, kind, format, user: null, srcIp: null, host: null, destIp: null, destPort: null, url: null,
    method: null, status: null, bytesOut: null, bytesIn: null, userAgent: null, action: null,
    dnsType: null, dnsRcode: null,
  };
}

/** Parser options for a source from the service configuration and the source's own time zone. */
export function parserOptionsFor(
  config: { INGEST_TIMEZONE: string; INGEST_JSON_FIELD_MAP?: Record<string, string> | undefined; INGEST_SQUID_LOGFORMAT?: string | undefined },
  timeZone?: string,
): ParserOptions {
  return {
    timeZone: timeZone ?? config.INGEST_TIMEZONE,
    ...(config.INGEST_JSON_FIELD_MAP ? { fieldMap: config.INGEST_JSON_FIELD_MAP as ParserOptions['fieldMap'] } : {}),
    ...(config.INGEST_SQUID_LOGFORMAT ? { squidLogformat: config.INGEST_SQUID_LOGFORMAT } : {}),
  };
}
