/**
 * Zscaler Internet Access web logs as the Nanolog Streaming Service (NSS / Cloud NSS) sends them, told apart
 * per line:
 *
 * - JSON feed output: one object per line, either flat or wrapped as `{"sourcetype":…,"event":{…}}`. The admin
 *   names the keys in the feed output format, so each event field is looked up under the names the NSS field
 *   variables and the stock SIEM templates use (`login`/`user`, `cip`/`ClientIP`, `respsize`/`responsesize`, …).
 * - The default (delimited) feed output format, quoted and comma-separated:
 *   `"%s{time}","%s{login}","%s{proto}","%s{eurl}","%s{action}","%s{appname}","%s{appclass}","%d{reqsize}",`
 *   `"%d{respsize}","%d{stime}","%d{ctime}","%s{urlclass}","%s{urlsupercat}","%s{urlcat}","%s{malwarecat}",`
 *   `"%s{threatname}","%d{riskscore}","%s{dlpeng}","%s{dlpdict}","%s{location}","%s{dept}","%s{cip}","%s{sip}",`
 *   `"%s{reqmethod}","%s{respcode}","%s{ua}","%s{ereferer}","%s{ruletype}","%s{rulelabel}","%s{contenttype}",…`
 *   (tab-separated copies of it are accepted too). Only the first 26 columns are read.
 *
 * Either may follow a syslog header. `%s{time}` (`Mon Nov 25 10:00:00 2026`) carries no zone: it is read in the
 * parser's `timeZone` (the feed's configured zone). `epochtime`, when the feed has it, wins. NSS writes `None`,
 * `NA` or `N/A` for missing values; those become null. `login` is kept as logged: for unauthenticated traffic NSS
 * puts the location name there. The URL usually has no scheme (`chatgpt.com/backend-api/…`), so `destPort` is
 * only known when the URL states it.
 */
import {
  emptyEvent, parsed, rejected, type EventAction, type LineParser, type NormalizedEvent, type ParseResult,
  type ParserFactory,
} from '@shadow-ai/core';
import {
  CONTROL_CHARS_RE, digitsAt, ipOrNull, isDigits, isoTimestamp, monthIndex, parseByteCount, parseHttpStatus,
  urlTarget,
} from './fields.util.ts';
import {
  CsvFields, indexCsv, parseDateTime, parseEpochAuto, resolveTimeZone, wallClockMillis,
} from './vendor.util.ts';

export const ZSCALER_FORMAT = 'zscaler';

/** Column indexes of the default NSS web feed output format. */
const COL = {
  time: 0, login: 1, url: 3, action: 4, reqsize: 7, respsize: 8, cip: 21, sip: 22, reqmethod: 23, respcode: 24, ua: 25,
} as const;
const MIN_COLUMNS = COL.ua + 1;
/** Reused: parsing is synchronous and never re-entered. */
const COLUMNS = new CsvFields();

/** JSON keys per event field, first match wins. */
const KEYS = {
  epoch: ['epochtime', 'epoch_time'],
  time: ['datetime', 'time', 'timestamp', 'eventtime'],
  user: ['login', 'user', 'username', 'elogin'],
  srcIp: ['cip', 'ClientIP', 'clientip', 'clientIP', 'client_ip'],
  destIp: ['sip', 'serverip', 'ServerIP', 'serverIP', 'server_ip'],
  host: ['hostname', 'host', 'ehost'],
  url: ['url', 'eurl'],
  method: ['reqmethod', 'requestmethod', 'method'],
  status: ['respcode', 'status', 'statuscode'],
  bytesOut: ['reqsize', 'requestsize', 'request_size'],
  bytesIn: ['respsize', 'responsesize', 'response_size'],
  userAgent: ['ua', 'useragent', 'eua', 'user_agent'],
  action: ['action'],
} as const;

const PLACEHOLDERS: ReadonlySet<string> = new Set(['', '-', 'None', 'NA', 'N/A', 'none', 'null']);
const MAX_PLACEHOLDER_LENGTH = 4;

const DAY_NAMES: ReadonlySet<string> = new Set(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);

/** Feeds in UTC (the default) share one function. */
const parseZscalerUtc: LineParser = (line) => parseZscaler(line, undefined);

/** Throws a RangeError for an unknown `timeZone` (a configuration error, found when the parser is made). */
export const createZscalerParser: ParserFactory = (opts) => {
  const zone = resolveTimeZone(opts?.timeZone);
  return zone === undefined ? parseZscalerUtc : (line) => parseZscaler(line, zone);
};

function parseZscaler(rawLine: string, zone: string | undefined): ParseResult {
  const line = rawLine.trim();
  if (line.length === 0) return rejected('empty line');
  const first = line.charCodeAt(0);
  if (first === 123 /* { */) return parseJson(line, zone);
  if (CONTROL_CHARS_RE.test(line)) return rejected('binary or control characters in line');
  if (first === 34 /* " */) return parseDelimited(line, 0, zone);
  // A syslog header in front of the record.
  const brace = line.indexOf('{');
  if (brace > 0 && line.charCodeAt(line.length - 1) === 125 /* } */) {
    const quote = line.indexOf('"');
    if (quote === -1 || quote > brace) return parseJson(line.slice(brace), zone);
  }
  const quote = line.indexOf('"');
  if (quote > 0) return parseDelimited(line, quote, zone);
  if (line.includes('\t')) return parseDelimited(line, 0, zone);
  return rejected('unsupported layout: neither a JSON feed nor the default delimited feed');
}

function parseJson(text: string, zone: string | undefined): ParseResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return rejected(CONTROL_CHARS_RE.test(text) ? 'binary or control characters in line' : 'malformed JSON');
  }
  // JSON.parse refuses raw control chars inside strings but lets CR/LF through between tokens, and DEL anywhere:
  // the only ones left to check (cheaper than the full scan on every JSON line).
  if (text.includes('\n') || text.includes('\r') || text.includes('\x7f')) {
    return rejected('binary or control characters in line');
  }
  if (!isRecord(doc)) return rejected('unsupported layout: JSON that is not an object');
  const wrapped = doc['event'];
  const obj = isRecord(wrapped) ? wrapped : doc;

  let ms: number | undefined;
  const epoch = pick(obj, KEYS.epoch);
  if (epoch !== null) {
    ms = parseEpochAuto(epoch);
    if (ms === undefined) return rejected('bad timestamp: epochtime is not epoch seconds');
  } else {
    const time = pick(obj, KEYS.time);
    if (time === null) return rejected('no timestamp: expected epochtime, datetime or time');
    ms = parseNssTime(time, zone);
    if (ms === undefined) {
      return rejected('bad timestamp: expected like "Mon Nov 25 10:00:00 2026" or "2026-11-25 10:00:00"');
    }
  }
  const url = pick(obj, KEYS.url);
  const hostText = pick(obj, KEYS.host);
  if (url === null && hostText === null) return rejected('not a web log: no url or hostname field');

  const event = emptyEvent('proxy', ZSCALER_FORMAT, isoTimestamp(ms));
  const bad = fillCommon(event, {
    user: pick(obj, KEYS.user), url, srcIp: pick(obj, KEYS.srcIp), destIp: pick(obj, KEYS.destIp),
    method: pick(obj, KEYS.method), status: pick(obj, KEYS.status), bytesOut: pick(obj, KEYS.bytesOut),
    bytesIn: pick(obj, KEYS.bytesIn), userAgent: pick(obj, KEYS.userAgent), action: pick(obj, KEYS.action),
  });
  if (bad !== undefined) return rejected(bad);
  // Usually the URL's host again (already parsed); only a different or missing one is looked at.
  if (hostText !== null && hostText !== event.host) {
    const fromHost = urlTarget(hostText);
    if (fromHost.host !== null) {
      event.host = fromHost.host;
      event.destPort ??= fromHost.port;
    }
  }
  return parsed(event);
}

function parseDelimited(line: string, start: number, zone: string | undefined): ParseResult {
  try {
    return readDelimited(line, start, zone);
  } finally {
    COLUMNS.release();
  }
}

function readDelimited(line: string, start: number, zone: string | undefined): ParseResult {
  const sep = separatorAfterFirstField(line, start);
  const cols = COLUMNS;
  const malformed = indexCsv(line, start, sep, MIN_COLUMNS, cols);
  if (malformed !== undefined) return rejected(malformed);
  if (cols.count < MIN_COLUMNS) return rejected('too few columns for the default NSS web feed (need 26)');

  const time = column(cols, COL.time);
  const ms = time === null ? undefined : parseNssTime(time, zone);
  if (ms === undefined) return rejected('bad timestamp: expected like "Mon Nov 25 10:00:00 2026"');
  const event = emptyEvent('proxy', ZSCALER_FORMAT, isoTimestamp(ms));
  const bad = fillCommon(event, {
    user: column(cols, COL.login), url: column(cols, COL.url), srcIp: column(cols, COL.cip),
    destIp: column(cols, COL.sip), method: column(cols, COL.reqmethod), status: column(cols, COL.respcode),
    bytesOut: column(cols, COL.reqsize), bytesIn: column(cols, COL.respsize), userAgent: column(cols, COL.ua),
    action: column(cols, COL.action),
  });
  return bad === undefined ? parsed(event) : rejected(bad);
}

/** Column i, null when it holds a placeholder (told by its length before any text is cut out). */
function column(cols: CsvFields, i: number): string | null {
  return cols.rawLength(i) > MAX_PLACEHOLDER_LENGTH ? cols.text(i)! : placeholderToNull(cols.text(i));
}

/** `,` or a tab: whichever follows the first field (the time, which contains neither). */
function separatorAfterFirstField(line: string, start: number): string {
  if (line.charCodeAt(start) === 34 /* " */) {
    const close = line.indexOf('"', start + 1);
    return close !== -1 && line.charCodeAt(close + 1) === 9 ? '\t' : ',';
  }
  const comma = line.indexOf(',', start);
  const tab = line.indexOf('\t', start);
  return tab !== -1 && (comma === -1 || tab < comma) ? '\t' : ',';
}

interface Fields {
  user: string | null;
  url: string | null;
  srcIp: string | null;
  destIp: string | null;
  method: string | null;
  status: string | null;
  bytesOut: string | null;
  bytesIn: string | null;
  userAgent: string | null;
  action: string | null;
}

/** Fills the event from the values found; returns the reason when one is malformed. */
function fillCommon(event: NormalizedEvent, f: Fields): string | undefined {
  if (f.srcIp !== null) {
    event.srcIp = ipOrNull(f.srcIp);
    if (event.srcIp === null) return 'bad client address (cip)';
  }
  // `sip` is 0.0.0.0 or empty when the request never reached a server; a name is not an address.
  event.destIp = f.destIp === null || f.destIp === '0.0.0.0' ? null : ipOrNull(f.destIp);
  if (f.status !== null) {
    const status = f.status === '0' ? null : parseHttpStatus(f.status);
    if (status === undefined) return 'bad status (respcode)';
    event.status = status;
  }
  if (f.bytesOut !== null) {
    const n = parseByteCount(f.bytesOut);
    if (n === undefined) return 'bad request size (reqsize)';
    event.bytesOut = n;
  }
  if (f.bytesIn !== null) {
    const n = parseByteCount(f.bytesIn);
    if (n === undefined) return 'bad response size (respsize)';
    event.bytesIn = n;
  }
  event.user = f.user;
  event.method = f.method === null ? null : f.method.toUpperCase();
  event.userAgent = f.userAgent;
  event.action = actionOf(f.action);
  if (f.url !== null) {
    event.url = f.url;
    const target = urlTarget(f.url);
    event.host = target.host;
    event.destPort = target.port;
  }
  return undefined;
}

function actionOf(action: string | null): EventAction | null {
  if (action === null) return null;
  const a = action.toLowerCase();
  if (a === 'allowed' || a === 'allow') return 'allowed';
  if (a === 'blocked' || a === 'block') return 'blocked';
  return null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The first of `keys` present with a usable value, as text; null when none is (or it is a placeholder). */
function pick(obj: Record<string, unknown>, keys: readonly string[]): string | null {
  for (const key of keys) {
    // No alias is an Object.prototype name, so plain property reads cannot reach inherited members.
    const v = obj[key];
    if (typeof v === 'string') {
      const s = placeholderToNull(v.trim());
      if (s !== null) return s;
    } else if (typeof v === 'number' && Number.isFinite(v)) {
      return String(v);
    }
  }
  return null;
}

function placeholderToNull(s: string | undefined): string | null {
  // Length first: hashing a long value (a user agent, a URL) for the set lookup would cost more than the rest.
  return s === undefined || (s.length <= MAX_PLACEHOLDER_LENGTH && PLACEHOLDERS.has(s)) ? null : s;
}

/**
 * The time forms NSS feeds use: `%s{time}` (`Mon Nov 25 10:00:00 2026`, day possibly unpadded, optionally followed
 * by `%s{tz}` when that is GMT/UTC), the
 * `%s{mon} %02d{dd} %d{yy} %02d{hh}:%02d{mm}:%02d{ss}` form of SIEM templates (`Nov 25 2026 10:00:00`),
 * `2026-11-25 10:00:00` / ISO 8601 (with or without offset), or epoch seconds.
 */
function parseNssTime(s: string, zone: string | undefined): number | undefined {
  const c = s.charCodeAt(0);
  if (c >= 48 && c <= 57) return isDigits(s) ? parseEpochAuto(s) : parseDateTime(s, zone);
  let month0: number | undefined;
  let day = -1;
  let year = -1;
  let clock = -1;
  let explicitUtc = false;
  // Words between single blanks, read in place: no array of parts per line.
  for (let from = 0; from <= s.length;) {
    let to = s.indexOf(' ', from);
    if (to === -1) to = s.length;
    const len = to - from;
    const at = from;
    from = to + 1;
    if (len === 0) continue;
    const word = len === 3 ? s.slice(at, to) : null;
    if (len === 3 && (word === 'GMT' || word === 'UTC')) {
      // A feed whose format appends %s{tz} set to GMT/UTC states its zone.
      explicitUtc = true;
      continue;
    }
    if (word !== null && month0 === undefined && monthIndex(word) !== undefined) {
      month0 = monthIndex(word);
    } else if (len === 8 && s.charCodeAt(at + 2) === 58 && s.charCodeAt(at + 5) === 58) {
      clock = at;
    } else if (len === 4 && digitsAt(s, at, 4) !== -1) {
      year = digitsAt(s, at, 4);
    } else if (len <= 2 && digitsAt(s, at, len) !== -1) {
      day = digitsAt(s, at, len);
    } else if (!(word !== null && DAY_NAMES.has(word))) {
      return undefined;
    }
  }
  if (month0 === undefined || day < 0 || year < 0 || clock === -1) return undefined;
  const hour = digitsAt(s, clock, 2);
  const minute = digitsAt(s, clock + 3, 2);
  const second = digitsAt(s, clock + 6, 2);
  return wallClockMillis(explicitUtc ? undefined : zone, year, month0, day, hour, minute, second, 0);
}
