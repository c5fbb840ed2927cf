/**
 * Reading Zeek logs, shared by the dns/http/ssl parsers. Two encodings:
 *
 * - ASCII/TSV: header lines `#separator \x09`, `#set_separator`, `#empty_field (empty)`, `#unset_field -`,
 *   `#path`, `#open`, `#fields`, `#types`, `#close`, then one record per line in the `#fields` order. The
 *   layout lives in the parser instance and changes whenever a new `#fields` line comes (a rotated or
 *   restarted log in the same stream). With `tsv=T` Zeek writes a single bare header row of column names.
 *   Non-printable bytes (and the separator) are escaped as `\xHH`.
 * - JSON lines: `{"ts":1732528800.123,"uid":"C…","id.orig_h":"10.1.2.3",…}`; `ts` is epoch seconds (default),
 *   an ISO 8601 string (`JSON::TS_ISO8601`) or epoch milliseconds (`JSON::TS_MILLIS`). Unset fields are left
 *   out. A `_path` field (and the `{"dns": {…}}` wrapping of the Kafka writer) names the log.
 */
import { emptyEvent, parsed, rejected, skipLine, type NormalizedEvent, type ParseResult, type LineParser } from '@shadow-ai/core';
import { CONTROL_CHARS_RE, ipVersion, isoTimestamp, parseEpochSeconds } from './fields.util.ts';
import { epochNumberToMillis, parseIsoMillis, parsePortText, UTC, validEpochMs } from './common.util.ts';

/** What one Zeek log type needs from a record. */
export interface ZeekSpec {
  /** parser id, e.g. `zeek-dns` */
  format: string;
  /** the log's `#path` / `_path`, e.g. `dns` */
  path: string;
  /** columns the mapping reads, `ts` first; `map` gets their values in this order */
  columns: readonly string[];
  /** TSV: columns a `#fields` line must have for this to be that log */
  required: readonly string[];
  /** JSON: a record without `_path` must have one of these to be that log (unset fields are left out) */
  signature: readonly string[];
  /** builds the event from the column values (null: unset or empty) and the epoch ms of `ts` */
  map(values: readonly (string | null)[], ms: number): ParseResult;
}

interface Layout {
  width: number;
  /** index into the record for each spec column, -1 when the log has no such column */
  indices: readonly number[];
}

/** A stateful parser for one stream of a Zeek log type. */
export function createZeekParser(spec: ZeekSpec): LineParser {
  let separator = '\t';
  let unsetField = '-';
  let emptyField = '(empty)';
  let layout: Layout | null = null;
  let layoutError = 'no #fields header yet: the TSV columns are unknown (start at the head of the log, or use Zeek JSON)';

  const setFields = (names: readonly string[]): void => {
    const missing = spec.required.filter((c) => !names.includes(c));
    if (missing.length > 0) {
      layout = null;
      layoutError = `#fields lacks ${missing.join(', ')}: not a Zeek ${spec.path}.log layout`;
      return;
    }
    layout = { width: names.length, indices: spec.columns.map((c) => names.indexOf(c)) };
  };

  const header = (line: string): ParseResult => {
    if (line.startsWith('#separator ')) {
      const value = decodeEscapes(line.slice(11).trim());
      if (value.length === 0) return rejected('bad #separator: empty');
      separator = value;
      return skipLine('zeek header: #separator');
    }
    const parts = line.split(separator);
    const key = parts[0] ?? '';
    const first = parts[1] ?? '';
    if (key === '#fields') setFields(parts.slice(1));
    else if (key === '#unset_field' && first !== '') unsetField = first;
    else if (key === '#empty_field' && first !== '') emptyField = first;
    return skipLine(`zeek header: ${key.length > 40 ? key.slice(0, 40) : key}`);
  };

  const value = (raw: string): string | null => {
    if (raw === unsetField || raw === emptyField) return null;
    return raw.includes('\\x') ? decodeEscapes(raw) : raw;
  };

  const tsv = (line: string): ParseResult => {
    if (layout === null) return rejected(layoutError);
    const fields = line.split(separator);
    if (fields.length !== layout.width) {
      return rejected(`expected ${layout.width} columns as declared by #fields, got ${fields.length}`);
    }
    const values = layout.indices.map((i) => (i === -1 ? null : value(fields[i] ?? '')));
    const tsText = values[0];
    if (tsText === null || tsText === undefined) return rejected('ts is unset');
    const ms = parseEpochSeconds(tsText);
    if (ms === undefined || !validEpochMs(ms)) return rejected('bad ts: expected epoch seconds like 1732528800.123456');
    return spec.map(values, ms);
  };

  return (rawLine) => {
    if (rawLine.trim().length === 0) return rejected('empty line');
    if (CONTROL_CHARS_RE.test(rawLine)) return rejected('binary or control characters in line');
    const first = rawLine.charCodeAt(0);
    if (first === 35 /* # */) return header(rawLine);
    if (first === 123 /* { */ || (first === 32 && rawLine.trimStart().charCodeAt(0) === 123)) return json(spec, rawLine);
    if (rawLine.startsWith('ts') && rawLine.startsWith(separator, 2)) {
      setFields(rawLine.split(separator));
      return skipLine('zeek header: tsv column names');
    }
    return tsv(rawLine);
  };
}

function json(spec: ZeekSpec, line: string): ParseResult {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return rejected('invalid JSON');
  }
  if (!isRecord(obj)) return rejected('not a JSON object');
  let record = obj;
  // zeek-kafka's tag_json: {"dns": {…}}.
  const wrapped = record[spec.path];
  if (isRecord(wrapped) && Object.keys(record).length === 1) record = wrapped;
  const path = record['_path'];
  if (path !== undefined) {
    if (path !== spec.path) return rejected(`zeek _path ${String(path).slice(0, 40)} is not ${spec.path}`);
  } else if (!spec.signature.some((c) => lookup(record, c) !== undefined)) {
    return rejected(`not a Zeek ${spec.path}.log record: none of ${spec.signature.join(', ')}`);
  }
  const ts = record['ts'];
  let ms: number | undefined;
  if (typeof ts === 'number') ms = epochNumberToMillis(ts);
  else if (typeof ts === 'string') ms = parseEpochSeconds(ts) ?? parseIsoMillis(ts, UTC);
  else return rejected('missing ts');
  if (ms === undefined || !validEpochMs(ms)) return rejected('bad ts: expected epoch seconds or ISO 8601');
  const values = spec.columns.map((c) => jsonValue(lookup(record, c)));
  return spec.map(values, ms);
}

/** A flat dotted key (`id.orig_h`, as Zeek writes it) or the same path nested (`{"id":{"orig_h":…}}`). */
function lookup(record: Record<string, unknown>, column: string): unknown {
  const direct = record[column];
  if (direct !== undefined) return direct;
  const dot = column.indexOf('.');
  if (dot === -1) return undefined;
  const parent = record[column.slice(0, dot)];
  return isRecord(parent) ? parent[column.slice(dot + 1)] : undefined;
}

function jsonValue(v: unknown): string | null {
  if (typeof v === 'string') {
    if (v === '') return null;
    return v.includes('\\x') ? decodeEscapes(v) : v;
  }
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  return null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `\xHH` escapes (Zeek's for non-printable bytes and the separator) → the UTF-8 text they spell. */
export function decodeEscapes(s: string): string {
  const bytes: number[] = [];
  let changed = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 && s.charCodeAt(i + 1) === 120 && isHexPair(s, i + 2)) {
      bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
      changed = true;
    } else if (c < 128) {
      bytes.push(c);
    } else {
      // Keep already-decoded characters (JSON strings, Zeek with enable_utf_8) as their UTF-8 bytes.
      const cp = s.codePointAt(i) ?? c;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
      if (cp > 0xffff) i++;
    }
  }
  return changed ? Buffer.from(bytes).toString('utf8') : s;
}

function isHexPair(s: string, i: number): boolean {
  if (i + 1 >= s.length) return false;
  for (let k = i; k < i + 2; k++) {
    const c = s.charCodeAt(k);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

// ------------------------------------------------------------------------- helpers for the mappings

/** An address column: null when unset; undefined (reject) when not an IP. */
export function zeekIp(v: string | null): string | null | undefined {
  if (v === null) return null;
  return ipVersion(v) !== 0 ? v : undefined;
}

/** A port column (`53`, or `53/udp` in some exports): null when unset or 0; undefined when malformed. */
export function zeekPort(v: string | null): number | null | undefined {
  if (v === null || v === '0') return null;
  const slash = v.indexOf('/');
  return parsePortText(slash === -1 ? v : v.slice(0, slash));
}

/** A count column (`request_body_len`): null when unset; undefined when not a non-negative integer. */
export function zeekCount(v: string | null): number | null | undefined {
  if (v === null) return null;
  if (v.length > 15) return undefined;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return v.length === 0 ? undefined : Number(v);
}

/** The event with ts set, for the mappings to fill. */
export function zeekEvent(
  kind: NormalizedEvent['kind'], format: string, ms: number, build: (e: NormalizedEvent) => string | null,
): ParseResult {
  const event = emptyEvent(kind, format, isoTimestamp(ms));
  const problem = build(event);
  return problem === null ? parsed(event) : rejected(problem);
}
