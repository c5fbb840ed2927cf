/**
 * Squid access logs in any `logformat`: `opts.squidLogformat` is the directive as written in squid.conf,
 *   `logformat mine %>a %>p %un %rm %ru %>Hs %<st %{User-Agent}>h %ssl::>sni`
 *   `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`   (keyword and name may be left out)
 * The factory compiles it once into a plan of codes and literal separators and throws on codes it does not
 * know (a config bug). Each line is then read along the plan: a code's value runs up to the next literal
 * (the last `/` or `:` of a token for addresses, so IPv6 survives `%>a:%>p`), a run of spaces matches any
 * padding (`%6tr`), a value between literal quotes (`"%{Referer}>h"`) runs to the closing unescaped quote,
 * and times (`%tl`, `%tg`, `%{strftime}tl`) are read by their fixed width.
 *
 * Mapping: `%ts`(+`%tu`) / `%tS` / `%tl` (local time with offset) / `%tg` (GMT) → ts (else receivedAt);
 * `%>a` (else an IP `%>A`) → srcIp; `%<a` (when an IP) → destIp; `%ru`/`%>ru` → url, host and port (else
 * `%>rd`, the Host header, `%ssl::>sni`; the SNI also replaces an IP host, as in CONNECT to an address);
 * `%<p` → destPort when the URL has none; `%un`/`%ul`/`%ue`/`%us`/`%ui` (first present) → user; `%rm` →
 * method; `%>Hs` (else `%<Hs`) → status; `%<st` → bytesIn; `%>st` → bytesOut; `%{User-Agent}>h` →
 * userAgent; `%Ss` → action (…DENIED… → blocked, other codes → allowed). Squid %-escapes header values and
 * `%[un`; those are decoded. Other known codes are read and not mapped.
 */
import { emptyEvent, parsed, rejected, type EventAction, type ParseContext, type ParseResult, type ParserFactory } from '@shadow-ai/core';
import {
  CONTROL_CHARS_RE, digitsAt, ipOrNull, ipVersion, isDigits, isoTimestamp, monthIndex, normalizeHostname, parseByteCount, parseEpochSeconds, parseHttpStatus, urlTarget,
} from './fields.util.ts';
import {
  UTC, hostAndPort, isBlank, parsePortText, percentDecode, receivedTs, resolveTimeZone, skipBlanks, tokenEnd,
  validEpochMs, wallToUtc,
} from './common.util.ts';

export const SQUID_CUSTOM_FORMAT = 'squid-custom';

type Role =
  | 'ts' | 'tu' | 'tS' | 'tl' | 'tg' | 'srcIp' | 'srcFqdn' | 'destIp' | 'destPort' | 'user' | 'method' | 'url'
  | 'domain' | 'status' | 'upstreamStatus' | 'bytesIn' | 'bytesOut' | 'squidStatus' | 'requestHeader' | 'sni'
  | 'ignore';

/** The logformat codes understood (without the optional `http::` prefix), and what each one feeds. */
const CODES: ReadonlyMap<string, Role> = new Map<string, Role>([
  ['ts', 'ts'], ['tu', 'tu'], ['tS', 'tS'], ['tl', 'tl'], ['tg', 'tg'], ['tr', 'ignore'], ['dt', 'ignore'],
  ['busy_time', 'ignore'], ['<pt', 'ignore'], ['<tt', 'ignore'], ['<tS', 'ignore'],
  ['>a', 'srcIp'], ['>A', 'srcFqdn'], ['>p', 'ignore'], ['>eui', 'ignore'], ['>la', 'ignore'], ['>lp', 'ignore'],
  ['la', 'ignore'], ['lp', 'ignore'], ['>qos', 'ignore'], ['>nfmark', 'ignore'], ['<qos', 'ignore'],
  ['<nfmark', 'ignore'], ['<a', 'destIp'], ['<A', 'ignore'], ['<p', 'destPort'], ['<la', 'ignore'], ['<lp', 'ignore'],
  ['un', 'user'], ['ul', 'user'], ['ue', 'user'], ['us', 'user'], ['ui', 'user'], ['credentials', 'ignore'],
  ['rm', 'method'], ['>rm', 'method'], ['<rm', 'ignore'], ['ru', 'url'], ['>ru', 'url'], ['<ru', 'ignore'],
  ['rp', 'ignore'], ['>rp', 'ignore'], ['<rp', 'ignore'], ['rs', 'ignore'], ['>rs', 'ignore'], ['<rs', 'ignore'],
  ['>rd', 'domain'], ['<rd', 'ignore'], ['>rP', 'ignore'], ['<rP', 'ignore'], ['rv', 'ignore'], ['>rv', 'ignore'],
  ['<rv', 'ignore'], ['>h', 'requestHeader'], ['>ha', 'requestHeader'], ['<h', 'ignore'],
  ['>Hs', 'status'], ['Hs', 'status'], ['<Hs', 'upstreamStatus'], ['<st', 'bytesIn'], ['>st', 'bytesOut'],
  ['st', 'ignore'], ['>sh', 'ignore'], ['<sh', 'ignore'], ['<sH', 'ignore'], ['<sS', 'ignore'], ['<bs', 'ignore'],
  ['Ss', 'squidStatus'], ['Sh', 'ignore'], ['mt', 'ignore'], ['sn', 'ignore'], ['err_code', 'ignore'],
  ['err_detail', 'ignore'], ['note', 'ignore'], ['et', 'ignore'], ['ea', 'ignore'], ['master_xaction', 'ignore'],
  ['transport::>connection_id', 'ignore'], ['ssl::>sni', 'sni'], ['ssl::bump_mode', 'ignore'],
  ['ssl::>cert_subject', 'ignore'], ['ssl::>cert_issuer', 'ignore'], ['ssl::<cert_subject', 'ignore'],
  ['ssl::<cert_issuer', 'ignore'], ['ssl::<cert_errors', 'ignore'], ['ssl::<cert', 'ignore'], ['ssl::>cert', 'ignore'],
  ['ssl::>received_hello_version', 'ignore'], ['ssl::>received_supported_version', 'ignore'],
  ['ssl::<received_hello_version', 'ignore'], ['ssl::<received_supported_version', 'ignore'],
  ['ssl::>negotiated_version', 'ignore'], ['ssl::<negotiated_version', 'ignore'],
  ['ssl::>negotiated_cipher', 'ignore'], ['ssl::<negotiated_cipher', 'ignore'],
]);
/** Longest first, so `%>st` is not read as `%>s…` and `%<Hs` not as `%<h`. */
const CODE_NAMES: readonly string[] = [...CODES.keys()].sort((a, b) => b.length - a.length);
/** `%un` wins over `%ul` over `%ue` over `%us` over `%ui`, as Squid's own `%un` chooses. */
const USER_PRIORITY: ReadonlyMap<string, number> = new Map([['un', 0], ['ul', 1], ['ue', 2], ['us', 3], ['ui', 4]]);
const ADDRESS_ROLES: ReadonlySet<Role> = new Set(['srcIp', 'destIp', 'srcFqdn']);
const DEFAULT_TL = '%d/%b/%Y:%H:%M:%S %z';
const DEFAULT_TG = '%d/%b/%Y:%H:%M:%S';
/** strftime directives a time spec may use, with their fixed output widths. */
const STRFTIME_WIDTH: ReadonlyMap<string, number> = new Map([
  ['Y', 4], ['y', 2], ['m', 2], ['d', 2], ['e', 2], ['H', 2], ['M', 2], ['S', 2], ['b', 3], ['h', 3], ['z', 5],
]);
const STRFTIME_EXPANSIONS: ReadonlyMap<string, string> = new Map([
  ['T', '%H:%M:%S'], ['F', '%Y-%m-%d'], ['D', '%m/%d/%y'], ['R', '%H:%M'],
]);

const WIDTH_CHARS = '0123456789.';
const CODE_END_CHARS = ' \t%"]/';
const BLANK_RUN_RE = /[ \t]+/g;
const DIRECTIVE_RE = /^logformat\s/;

interface TimeSpec {
  parts: readonly ({ directive: string; width: number } | { literal: string })[];
  width: number;
  hasZone: boolean;
}

interface CodeStep {
  kind: 'code';
  code: string;
  role: Role;
  /** header name (lowercase) for header codes */
  header: string | null;
  /** strftime spec for tl/tg: the value has this fixed width */
  time: TimeSpec | null;
  /** the value sits between literal quotes */
  quoted: boolean;
  /** `%"` encoding: backslash escapes inside */
  backslashEscapes: boolean;
  /** `%'` encoding: written as-is, so it may hold blanks */
  raw: boolean;
}

interface LiteralStep {
  kind: 'literal';
  text: string;
}

type Step = CodeStep | LiteralStep;

/** Builds the parser for one logformat; throws on a missing directive or an unsupported code. */
export const createSquidCustomParser: ParserFactory = (opts) => {
  const zone = resolveTimeZone(opts, SQUID_CUSTOM_FORMAT);
  const directive = opts?.squidLogformat;
  if (typeof directive !== 'string' || directive.trim() === '') {
    throw new Error('squid-custom: opts.squidLogformat is required: the logformat directive from squid.conf, '
      + 'e.g. "logformat mine %ts.%03tu %>a %Ss/%03>Hs %<st %rm %ru %un"');
  }
  const steps = compile(stripDirective(directive.trim()));
  return (line, ctx) => parseLine(line, ctx, steps, zone);
};

/** `logformat NAME FORMAT` → FORMAT; a bare FORMAT is kept. */
function stripDirective(text: string): string {
  if (!DIRECTIVE_RE.test(text)) return text;
  let rest = text.slice(9).trimStart();
  const end = tokenEnd(rest, 0);
  if (!rest.slice(0, end).includes('%')) rest = rest.slice(end).trimStart();
  return rest;
}

function compile(format: string): Step[] {
  if (format === '') throw new Error('squid-custom: the logformat has no format specification after its name');
  const steps: Step[] = [];
  let literal = '';
  const flushLiteral = (): void => {
    if (literal === '') return;
    // Any run of blanks in the format matches any run of blanks in a line (padding like %6tr).
    steps.push({ kind: 'literal', text: literal.replace(BLANK_RUN_RE, ' ') });
    literal = '';
  };
  let i = 0;
  while (i < format.length) {
    const ch = format[i] ?? '';
    if (ch !== '%') {
      literal += ch;
      i++;
      continue;
    }
    if (format[i + 1] === '%') {
      literal += '%';
      i += 2;
      continue;
    }
    const start = i;
    i++;
    let backslashEscapes = false;
    let raw = false;
    if ('"[#\'/'.includes(format[i] ?? 'x')) {
      backslashEscapes = format[i] === '"' || format[i] === '/';
      raw = format[i] === "'";
      i++;
    }
    if (format[i] === '-') i++;
    while (i < format.length && WIDTH_CHARS.includes(format[i] ?? 'x')) i++;
    const readArg = (): string => {
      const close = format.indexOf('}', i);
      if (close === -1) throw new Error(`squid-custom: unterminated {argument} in "${format.slice(start, start + 40)}"`);
      const text = format.slice(i + 1, close);
      i = close + 1;
      return text;
    };
    let arg: string | null = format[i] === '{' ? readArg() : null;
    if (format.startsWith('http::', i)) i += 6;
    const code = CODE_NAMES.find((name) => format.startsWith(name, i));
    if (code === undefined) {
      let end = i;
      while (end < format.length && !CODE_END_CHARS.includes(format[end] ?? ' ')) end++;
      throw new Error(`squid-custom: unknown logformat code "${format.slice(start, Math.max(end, i + 1))}"`);
    }
    i += code.length;
    if (arg === null && format[i] === '{') arg = readArg();
    const role = CODES.get(code) ?? 'ignore';
    flushLiteral();
    const previous = steps[steps.length - 1];
    if (previous?.kind === 'code' && previous.time === null) {
      throw new Error(`squid-custom: %${previous.code} and %${code} have nothing between them to tell their values apart`);
    }
    const argText = arg;
    let time: TimeSpec | null = null;
    if (role === 'tl' || role === 'tg') time = compileTimeSpec(argText ?? (role === 'tl' ? DEFAULT_TL : DEFAULT_TG));
    let header: string | null = null;
    if (role === 'requestHeader' && argText !== null) header = argText.split(':')[0]?.trim().toLowerCase() ?? null;
    steps.push({
      kind: 'code', code, role: role === 'requestHeader' && header === null ? 'ignore' : role, header, time,
      quoted: false, backslashEscapes, raw,
    });
  }
  flushLiteral();
  for (let k = 0; k < steps.length; k++) {
    const step = steps[k];
    if (step?.kind !== 'code') continue;
    const before = steps[k - 1];
    const after = steps[k + 1];
    step.quoted = before?.kind === 'literal' && before.text.endsWith('"') && after?.kind === 'literal' && after.text.startsWith('"');
  }
  if (!steps.some((s) => s.kind === 'code')) throw new Error('squid-custom: the logformat has no % codes');
  return steps;
}

function compileTimeSpec(spec: string): TimeSpec {
  let expanded = spec;
  for (const [k, v] of STRFTIME_EXPANSIONS) expanded = expanded.split(`%${k}`).join(v);
  const parts: ({ directive: string; width: number } | { literal: string })[] = [];
  let width = 0;
  let hasZone = false;
  for (let i = 0; i < expanded.length; i++) {
    const ch = expanded[i] ?? '';
    if (ch !== '%') {
      parts.push({ literal: ch });
      width++;
      continue;
    }
    const d = expanded[++i] ?? '';
    if (d === '%') {
      parts.push({ literal: '%' });
      width++;
      continue;
    }
    const w = STRFTIME_WIDTH.get(d);
    if (w === undefined) throw new Error(`squid-custom: unsupported strftime directive %${d} in time format "${spec}"`);
    if (d === 'z') hasZone = true;
    parts.push({ directive: d, width: w });
    width += w;
  }
  return { parts, width, hasZone };
}

// ------------------------------------------------------------------------------------- reading

function parseLine(rawLine: string, ctx: ParseContext, steps: readonly Step[], zone: string): ParseResult {
  const line = rawLine.trim();
  if (line.length === 0) return rejected('empty line');
  if (line.charCodeAt(0) === 35 /* # */) return rejected('comment line');
  if (CONTROL_CHARS_RE.test(line)) return rejected('binary or control characters in line');

  const values: (string | null)[] = new Array(steps.length).fill(null);
  let pos = 0;
  for (let k = 0; k < steps.length; k++) {
    const step = steps[k] as Step;
    if (step.kind === 'literal') {
      for (let c = 0; c < step.text.length; c++) {
        const ch = step.text.charCodeAt(c);
        if (ch === 32) {
          if (!isBlank(line.charCodeAt(pos))) return mismatch(steps, k, pos);
          pos = skipBlanks(line, pos);
        } else if (line.charCodeAt(pos) === ch) {
          pos++;
        } else {
          return mismatch(steps, k, pos);
        }
      }
      continue;
    }
    const next = steps[k + 1];
    let end: number;
    if (step.time !== null) {
      end = pos + step.time.width;
      if (end > line.length) return rejected(`truncated line: %${step.code} expects ${step.time.width} characters`);
    } else if (step.quoted) {
      end = pos;
      while (end < line.length && line.charCodeAt(end) !== 34) end += line.charCodeAt(end) === 92 ? 2 : 1;
      if (end >= line.length) return rejected(`truncated line: unterminated quoted value of %${step.code}`);
    } else if (next === undefined) {
      // Unquoted values hold no blanks (Squid %-escapes them) unless written raw (%'…).
      end = step.raw ? line.length : tokenEnd(line, pos);
    } else {
      const stop = next.kind === 'literal' ? next.text.charCodeAt(0) : -1;
      const tokenStop = tokenEnd(line, pos);
      if (stop === 32 || stop === -1) {
        end = tokenStop;
      } else {
        const stopChar = String.fromCharCode(stop);
        end = ADDRESS_ROLES.has(step.role) ? line.lastIndexOf(stopChar, tokenStop - 1) : line.indexOf(stopChar, pos);
        if (end < pos || end >= tokenStop) {
          // A left-aligned value (%-10un) is padded with blanks before the separator.
          const after = skipBlanks(line, tokenStop);
          if (line.charCodeAt(after) !== stop) {
            return rejected(`line does not match the logformat: no "${stopChar}" after %${step.code}`);
          }
          values[k] = line.slice(pos, tokenStop);
          pos = after;
          continue;
        }
      }
    }
    values[k] = line.slice(pos, end);
    pos = end;
  }
  if (pos < line.length) return rejected('unexpected text after the last logformat field');
  return mapEvent(steps, values, ctx, zone);
}

function mismatch(steps: readonly Step[], k: number, pos: number): ParseResult {
  const before = steps[k - 1];
  const after = before?.kind === 'code' ? ` after %${before.code}` : '';
  return rejected(`line does not match the logformat at column ${pos + 1}${after}`);
}

function mapEvent(steps: readonly Step[], values: readonly (string | null)[], ctx: ParseContext, zone: string): ParseResult {
  let seconds: string | null = null;
  let subsecond: string | null = null;
  let startTime: string | null = null;
  let clock: { step: CodeStep; text: string } | null = null;
  let srcIp: string | null = null;
  let srcFqdn: string | null = null;
  let destIp: string | null = null;
  let serverPort: string | null = null;
  let user: string | null = null;
  let userRank = 99;
  let method: string | null = null;
  let url: string | null = null;
  let domain: string | null = null;
  let status: number | null = null;
  let upstreamStatus: number | null = null;
  let bytesIn: number | null = null;
  let bytesOut: number | null = null;
  let squidStatus: string | null = null;
  let userAgent: string | null = null;
  let hostHeader: string | null = null;
  let sni: string | null = null;

  for (let k = 0; k < steps.length; k++) {
    const step = steps[k];
    const raw = values[k];
    if (step?.kind !== 'code' || raw === null || raw === undefined || step.role === 'ignore') continue;
    const value = clean(raw, step);
    if (value === null) continue;
    switch (step.role) {
      case 'ts': seconds = value; break;
      case 'tu': subsecond = value; break;
      case 'tS': startTime = value; break;
      case 'tl':
      case 'tg': clock = { step, text: raw }; break;
      case 'srcIp':
        if (ipVersion(value) === 0) return rejected(`bad %${step.code}: expected the client IP address`);
        srcIp = value;
        break;
      case 'srcFqdn': srcFqdn = value; break;
      case 'destIp': destIp = ipOrNull(value); break;
      case 'destPort': serverPort = value; break;
      case 'user': {
        const rank = USER_PRIORITY.get(step.code) ?? 9;
        if (rank < userRank) {
          user = percentDecode(value);
          userRank = rank;
        }
        break;
      }
      case 'method': method = value === 'NONE' ? null : value; break;
      case 'url': url = value; break;
      case 'domain': domain = value; break;
      case 'status':
      case 'upstreamStatus': {
        const code = parseHttpStatus(value);
        if (code === undefined) return rejected(`bad %${step.code}: expected an HTTP status`);
        if (step.role === 'status') status = code;
        else upstreamStatus = code;
        break;
      }
      case 'bytesIn':
      case 'bytesOut': {
        const n = parseByteCount(value);
        if (n === undefined) return rejected(`bad %${step.code}: expected a byte count`);
        if (step.role === 'bytesIn') bytesIn = n;
        else bytesOut = n;
        break;
      }
      case 'squidStatus': squidStatus = value; break;
      case 'requestHeader':
        if (step.header === 'user-agent') userAgent = percentDecode(value);
        else if (step.header === 'host') hostHeader = percentDecode(value);
        break;
      case 'sni': sni = value; break;
    }
  }

  let ms: number | undefined;
  if (seconds !== null) {
    if (!isDigits(seconds) || seconds.length > 11) return rejected('bad %ts: expected epoch seconds');
    ms = Number(seconds) * 1000;
    if (subsecond !== null) {
      if (!isDigits(subsecond) || subsecond.length > 9) return rejected('bad %tu: expected digits');
      ms += subsecond.length <= 3 ? Number(subsecond) : digitsAt(subsecond, 0, 3);
    }
  } else if (startTime !== null) {
    ms = parseEpochSeconds(startTime);
    if (ms === undefined) return rejected('bad %tS: expected epoch seconds.millis');
  } else if (clock !== null && clock.step.time !== null) {
    ms = readClock(clock.text, clock.step.time, clock.step.role === 'tg' ? UTC : zone);
    if (ms === undefined) return rejected(`bad %${clock.step.code}: expected a time like 25/Nov/2026:10:00:00 +0100`);
  }
  if (ms !== undefined && !validEpochMs(ms)) return rejected('bad timestamp: out of range');
  const ts = ms !== undefined ? isoTimestamp(ms) : receivedTs(ctx.receivedAt);
  if (ts === undefined) return rejected('no timestamp in the line and receivedAt is not a valid date');

  const event = emptyEvent('proxy', SQUID_CUSTOM_FORMAT, ts);
  event.srcIp = srcIp ?? (srcFqdn === null ? null : ipOrNull(srcFqdn));
  event.destIp = destIp;
  event.user = user === '' ? null : user;
  event.method = method;
  event.url = url;
  event.status = status ?? upstreamStatus;
  event.bytesIn = bytesIn;
  event.bytesOut = bytesOut;
  event.userAgent = userAgent === '' ? null : userAgent;
  event.action = squidStatus === null ? null : actionOf(squidStatus);
  const target = url === null ? null : urlTarget(url);
  let host = target?.host ?? null;
  const sniHost = sni === null ? null : normalizeHostname(sni);
  if (sniHost !== null && (host === null || ipVersion(host) !== 0)) host = sniHost;
  host ??= (domain === null ? null : hostAndPort(domain)?.host) ?? (hostHeader === null ? null : hostAndPort(hostHeader)?.host) ?? null;
  event.host = host;
  event.destPort = target?.port ?? (serverPort === null ? null : (parsePortText(serverPort) ?? null));
  return parsed(event);
}

/** The value of a code: `-` is none; quoted values lose their backslash escapes. */
function clean(raw: string, step: CodeStep): string | null {
  let value = step.time === null ? raw.trim() : raw;
  if (value === '-' || value === '') return null;
  if ((step.quoted || step.backslashEscapes) && value.includes('\\')) value = unescapeQuoted(value);
  return value;
}

function unescapeQuoted(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const n = s[++i];
    out += n === 'n' ? '\n' : n === 'r' ? '\r' : n === 't' ? '\t' : n;
  }
  return out;
}

function actionOf(code: string): EventAction {
  return code.includes('DENIED') ? 'blocked' : 'allowed';
}

/** A fixed-width strftime value → epoch ms; without %z it is read in `zone`. */
function readClock(text: string, spec: TimeSpec, zone: string): number | undefined {
  let year = -1;
  let month0 = 0;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let offset = 0;
  let i = 0;
  for (const part of spec.parts) {
    if ('literal' in part) {
      if (text[i] !== part.literal) return undefined;
      i++;
      continue;
    }
    const w = part.width;
    switch (part.directive) {
      case 'b':
      case 'h': {
        const m = monthIndex(text.slice(i, i + 3));
        if (m === undefined) return undefined;
        month0 = m;
        break;
      }
      case 'z': {
        const sign = text[i] === '+' ? 1 : text[i] === '-' ? -1 : 0;
        const oh = digitsAt(text, i + 1, 2);
        const om = digitsAt(text, i + 3, 2);
        if (sign === 0 || oh < 0 || om < 0 || oh > 23 || om > 59) return undefined;
        offset = sign * (oh * 60 + om) * 60_000;
        break;
      }
      default: {
        const padded = part.directive === 'e' && text[i] === ' ';
        const n = padded ? digitsAt(text, i + 1, 1) : digitsAt(text, i, w);
        if (n < 0) return undefined;
        if (part.directive === 'Y') year = n;
        else if (part.directive === 'y') year = 2000 + n;
        else if (part.directive === 'm') month0 = n - 1;
        else if (part.directive === 'd' || part.directive === 'e') day = n;
        else if (part.directive === 'H') hour = n;
        else if (part.directive === 'M') minute = n;
        else second = n;
      }
    }
    i += w;
  }
  if (year < 0) return undefined;
  if (spec.hasZone) {
    const wall = wallToUtc(UTC, year, month0, day, hour, minute, second, 0);
    return wall === undefined ? undefined : wall - offset;
  }
  return wallToUtc(zone, year, month0, day, hour, minute, second, 0);
}
