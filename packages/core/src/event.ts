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

/** Fills every field with null so a parser states only what its log carries. */
export function emptyEvent(kind: EventKind, format: string, ts: string): NormalizedEvent {
  return {
    ts, kind, format, user: null, srcIp: null, host: null, destIp: null, destPort: null, url: null,
    method: null, status: null, bytesOut: null, bytesIn: null, userAgent: null, action: null,
    dnsType: null, dnsRcode: null,
  };
}
