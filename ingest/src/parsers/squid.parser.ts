/**
 * Squid access.log, in either of the two layouts Squid ships, detected per line by shape:
 *
 * - native `squid`: `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`
 *   `1764064800.123    245 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT chatgpt.com:443 alice HIER_DIRECT/104.18.32.47 -`
 * - `combined`: `%>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st "%{Referer}>h" "%{User-Agent}>h" %Ss:%Sh`
 *   (the `%Ss:%Sh` suffix may be absent; so may the referer and user-agent pair, which is Squid's `common`).
 *
 * Neither layout carries the request size, so `bytesOut` is always null; `%<st` (reply bytes sent to the
 * client) is `bytesIn`. `combined` carries neither the server address nor, without its suffix, the result
 * code, so `destIp` (and then `action`) stay null there.
 */
import { emptyEvent, parsed, rejected, type EventAction, type LineParser, type ParseResult } from '@shadow-ai/core';
import {
  CONTROL_CHARS_RE, digitsAt, ipOrNull, isDigits, isoTimestamp, monthIndex, parseByteCount, parseEpochSeconds,
  parseHttpStatus, parseIpField, urlTarget, utcMillis,
} from './fields.util.ts';

const FORMAT = 'squid';
const NATIVE_FIELD_COUNT = 10;

/** `%Ss` (TCP_MISS, TCP_DENIED_REPLY, NONE_NONE_ABORTED …) and `%Sh` (HIER_DIRECT, FIRST_UP_PARENT …). */
const SQUID_CODE_RE = /^[A-Z][A-Z0-9_]*$/;
const QUOTED_ESCAPE_RE = /\\(["\\])/g;

export const parseSquid: LineParser = (rawLine) => {
  const line = rawLine.trim();
  if (line.length === 0) return rejected('empty line');
  if (line.charCodeAt(0) === 35 /* # */) return rejected('comment line');
  if (CONTROL_CHARS_RE.test(line)) return rejected('binary or control characters in line');
  const fields = splitOnBlanks(line, NATIVE_FIELD_COUNT);
  if (fields.length < 4) return rejected('too few fields');
  // The 4th field tells the layouts apart: `%Ss/%03>Hs` in native, the opening `[` of `[%tl]` in combined.
  const fourth = fields[3] ?? '';
  if (fourth.charCodeAt(0) === 91 /* [ */) return parseCombined(line);
  if (fourth.includes('/')) return parseNative(fields);
  return rejected('unsupported layout: neither squid native nor combined');
};

function parseNative(f: readonly string[]): ParseResult {
  if (f.length < NATIVE_FIELD_COUNT) return rejected('too few fields for the squid native layout');
  // Fields past the 10th (log_mime_hdrs) are not part of the event; splitOnBlanks did not even cut them.
  const [tsText = '', elapsed = '', client = '', codeStatus = '', size = '', method = '', url = '', user = ''] = f;
  const hier = f[8] ?? '';

  const ms = parseEpochSeconds(tsText);
  if (ms === undefined) return rejected('bad timestamp: expected epoch seconds like 1764064800.123');
  if (!isDigits(elapsed)) return rejected('bad elapsed time');
  const srcIp = parseIpField(client);
  if (srcIp === undefined) return rejected('bad client address');

  const slash = codeStatus.lastIndexOf('/');
  const code = slash === -1 ? '' : codeStatus.slice(0, slash);
  if (!SQUID_CODE_RE.test(code)) return rejected('bad result code: expected CODE/STATUS like TCP_MISS/200');
  const status = parseHttpStatus(codeStatus.slice(slash + 1));
  if (status === undefined) return rejected('bad status');
  const bytesIn = parseByteCount(size);
  if (bytesIn === undefined) return rejected('bad size');

  const event = emptyEvent('proxy', FORMAT, isoTimestamp(ms));
  event.srcIp = srcIp;
  event.status = status;
  event.bytesIn = bytesIn;
  event.method = methodOrNull(method);
  setTarget(event, url);
  event.user = decodeUser(user);
  // `%Sh/%<a`: the server squid talked to; a peer name or `-` when there was none.
  const hierSlash = hier.indexOf('/');
  event.destIp = hierSlash === -1 ? null : ipOrNull(hier.slice(hierSlash + 1));
  event.action = actionOf(code);
  return parsed(event);
}

function parseCombined(line: string): ParseResult {
  const n = line.length;
  let pos = 0;
  let end = tokenEnd(line, pos);
  const srcIp = parseIpField(line.slice(pos, end));
  if (srcIp === undefined) return rejected('bad client address');
  pos = skipBlanks(line, end);
  end = tokenEnd(line, pos); // %[ui (ident): not part of the event
  pos = skipBlanks(line, end);
  end = tokenEnd(line, pos);
  const user = decodeUser(line.slice(pos, end));
  pos = skipBlanks(line, end);

  if (line.charCodeAt(pos) !== 91 /* [ */) return rejected('unsupported layout: expected [time] as the 4th field');
  const close = line.indexOf(']', pos);
  if (close === -1) return rejected('truncated line: unterminated [time]');
  const ms = parseClfTime(line.slice(pos + 1, close));
  if (ms === undefined) return rejected('bad timestamp: expected [dd/Mon/yyyy:HH:MM:SS +zzzz]');
  pos = skipBlanks(line, close + 1);

  const request = readQuoted(line, pos);
  if (typeof request === 'string') return rejected(request);
  pos = skipBlanks(line, request.end);

  end = tokenEnd(line, pos);
  if (end === pos) return rejected('too few fields: missing status');
  const status = parseHttpStatus(line.slice(pos, end));
  if (status === undefined) return rejected('bad status');
  pos = skipBlanks(line, end);
  end = tokenEnd(line, pos);
  if (end === pos) return rejected('too few fields: missing size');
  const bytesIn = parseByteCount(line.slice(pos, end));
  if (bytesIn === undefined) return rejected('bad size');
  pos = skipBlanks(line, end);

  let userAgent: string | null = null;
  if (line.charCodeAt(pos) === 34 /* " */) {
    const referer = readQuoted(line, pos);
    if (typeof referer === 'string') return rejected(referer);
    pos = skipBlanks(line, referer.end);
    if (pos >= n) return rejected('too few fields: referer without user-agent');
    const agent = readQuoted(line, pos);
    if (typeof agent === 'string') return rejected(agent);
    userAgent = agent.value === '-' || agent.value === '' ? null : agent.value;
    pos = skipBlanks(line, agent.end);
  }

  let action: EventAction | null = null;
  if (pos < n) {
    end = tokenEnd(line, pos);
    const suffix = line.slice(pos, end);
    const colon = suffix.indexOf(':');
    if (colon === -1 || !SQUID_CODE_RE.test(suffix.slice(0, colon)) || !SQUID_CODE_RE.test(suffix.slice(colon + 1))) {
      return rejected('unsupported layout: expected %Ss:%Sh (like TCP_MISS:HIER_DIRECT) after the size/user-agent');
    }
    if (skipBlanks(line, end) < n) return rejected('unsupported layout: unexpected data after %Ss:%Sh');
    action = actionOf(suffix.slice(0, colon));
  }

  const event = emptyEvent('proxy', FORMAT, isoTimestamp(ms));
  event.srcIp = srcIp;
  event.user = user;
  event.status = status;
  event.bytesIn = bytesIn;
  event.userAgent = userAgent;
  event.action = action;
  // `%rm %ru HTTP/%rv`; `-` when squid saw no request line.
  const req = request.value;
  if (req !== '-' && req !== '') {
    const sp = req.indexOf(' ');
    event.method = methodOrNull(sp === -1 ? req : req.slice(0, sp));
    if (sp !== -1) {
      let url = req.slice(sp + 1);
      const lastSp = url.lastIndexOf(' ');
      if (lastSp !== -1 && url.startsWith('HTTP/', lastSp + 1)) url = url.slice(0, lastSp);
      setTarget(event, url.trim());
    }
  }
  return parsed(event);
}

function setTarget(event: { url: string | null; host: string | null; destPort: number | null }, url: string): void {
  if (url === '-' || url === '') return;
  event.url = url;
  const target = urlTarget(url);
  event.host = target.host;
  event.destPort = target.port;
}

/** Squid writes `NONE` when it never parsed a method (e.g. with `error:invalid-request`). */
function methodOrNull(method: string): string | null {
  return method === '-' || method === 'NONE' || method === '' ? null : method;
}

function actionOf(resultCode: string): EventAction {
  return resultCode.includes('DENIED') ? 'blocked' : 'allowed';
}

/** `%[un` escapes with percent-encoding (`DOMAIN%5Calice`); `-` means no authenticated user. */
function decodeUser(raw: string): string | null {
  if (raw === '-' || raw === '') return null;
  if (!raw.includes('%')) return raw;
  try {
    const user = decodeURIComponent(raw);
    return user === '' ? null : user;
  } catch {
    // A stray `%` that is not an escape: the name as logged is the best truth available.
    return raw;
  }
}

/** `25/Nov/2026:10:00:00 +0100` (strftime `%d/%b/%Y:%H:%M:%S %z`) → epoch ms in UTC. */
function parseClfTime(s: string): number | undefined {
  if (s.length !== 26 || s[2] !== '/' || s[6] !== '/' || s[11] !== ':') return undefined;
  if (s[14] !== ':' || s[17] !== ':' || s[20] !== ' ') return undefined;
  const month0 = monthIndex(s.slice(3, 6));
  if (month0 === undefined) return undefined;
  const local = utcMillis(
    digitsAt(s, 7, 4), month0, digitsAt(s, 0, 2), digitsAt(s, 12, 2), digitsAt(s, 15, 2), digitsAt(s, 18, 2), 0,
  );
  const sign = s[21] === '+' ? 1 : s[21] === '-' ? -1 : 0;
  const offH = digitsAt(s, 22, 2);
  const offM = digitsAt(s, 24, 2);
  if (local === undefined || sign === 0 || offH < 0 || offH > 23 || offM < 0 || offM > 59) return undefined;
  return local - sign * (offH * 60 + offM) * 60_000;
}

/**
 * A `"…"` field starting at `pos`, with `\"` and `\\` unescaped. Returns the reason as a string when there
 * is none, or it is unterminated, or glued to the next field.
 */
function readQuoted(line: string, pos: number): { value: string; end: number } | string {
  if (pos >= line.length) return 'too few fields';
  if (line.charCodeAt(pos) !== 34 /* " */) return 'unsupported layout: expected a quoted field';
  let escaped = false;
  let i = pos + 1;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 92 /* \ */) {
      escaped = true;
      i++;
    } else if (c === 34) {
      break;
    }
  }
  if (i >= line.length) return 'truncated line: unterminated quoted field';
  const next = line.charCodeAt(i + 1);
  if (i + 1 < line.length && next !== 32 && next !== 9) {
    return 'malformed quoted field: text right after the closing quote';
  }
  const raw = line.slice(pos + 1, i);
  return { value: escaped ? raw.replace(QUOTED_ESCAPE_RE, '$1') : raw, end: i + 1 };
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

function skipBlanks(s: string, i: number): number {
  while (i < s.length && isBlank(s.charCodeAt(i))) i++;
  return i;
}

function tokenEnd(s: string, i: number): number {
  while (i < s.length && !isBlank(s.charCodeAt(i))) i++;
  return i;
}

/**
 * The first `max` fields, split on runs of spaces/tabs: native squid right-aligns `%6tr`, so fields are
 * padded. Fields past `max` are not needed, so they are not sliced.
 */
function splitOnBlanks(s: string, max: number): string[] {
  const out: string[] = [];
  let i = skipBlanks(s, 0);
  while (i < s.length && out.length < max) {
    const end = tokenEnd(s, i);
    out.push(s.slice(i, end));
    i = skipBlanks(s, end);
  }
  return out;
}
