import { zonedTimeToUtc } from '@shadow-ai/core';

export interface SyslogMessage {
  /** facility * 8 + severity */
  pri: number;
  /** time the header gives (UTC ms), or null when the message has no parseable header time */
  time: number | null;
  /** the reporting device (HOSTNAME), or null */
  hostname: string | null;
  /** APP-NAME / TAG, or null */
  app: string | null;
  /** what follows the header: the log line for the format parser */
  payload: string;
}

const MONTHS: Record<string, number> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };
const RFC3164_TIME = /^([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? /;
const TAG = /^([\w./-]{1,48})(?:\[[\w.-]{1,32}\])?: ?/;
const HOSTNAME = /^[\w.:-]{1,255}$/;
const BOM = '\ufeff';

/**
 * Splits a syslog message into header and payload. RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`)
 * and RFC 3164 (`<PRI>Mmm dd hh:mm:ss HOST TAG: MSG`); devices that send only `<PRI>` and their own line
 * (FortiGate) get that line as the payload. RFC 5424 structured data stays in the payload, since some
 * vendors (Check Point) put the whole record there. RFC 3164 times carry no year or zone: the year is
 * the one that puts the time closest before `now`, the zone is `timeZone`.
 * Returns null when the message does not start with a valid `<PRI>`.
 */
export function parseSyslog(message: string, now: Date, timeZone?: string): SyslogMessage | null {
  if (message.charCodeAt(0) !== 60 /* < */) return null;
  const close = message.indexOf('>');
  if (close < 2 || close > 4) return null;
  const pri = Number(message.slice(1, close));
  if (!Number.isInteger(pri) || pri < 0 || pri > 191) return null;
  let rest = message.slice(close + 1);

  if (rest.startsWith('1 ')) {
    const parts = splitFields(rest.slice(2), 5);
    if (parts) {
      const [ts, host, app, , , payload] = parts;
      const time = ts === '-' ? null : Date.parse(ts!);
      let body = payload ?? '';
      if (body.startsWith('- ')) body = body.slice(2);
      else if (body === '-') body = '';
      if (body.startsWith(BOM)) body = body.slice(1);
      return {
        pri,
        time: time !== null && Number.isFinite(time) ? time : null,
        hostname: host === '-' ? null : host!,
        app: app === '-' ? null : app!,
        payload: body,
      };
    }
  }

  const m = RFC3164_TIME.exec(rest);
  if (m) {
    const month = MONTHS[m[1]!];
    if (month !== undefined) {
      const day = Number(m[2]!.trim());
      const [h, mi, s] = [Number(m[3]), Number(m[4]), Number(m[5])];
      const ms = m[6] ? Math.floor(Number(`0.${m[6]}`) * 1000) : 0;
      let year = now.getUTCFullYear();
      let time = zonedTimeToUtc(timeZone, year, month, day, h, mi, s, ms);
      // A December line read in January belongs to last year.
      if (time > now.getTime() + 86_400_000) time = zonedTimeToUtc(timeZone, --year, month, day, h, mi, s, ms);
      rest = rest.slice(m[0].length);
      let hostname: string | null = null;
      let app: string | null = null;
      // HOSTNAME is optional in practice: a token followed by a TAG, or a TAG straight away.
      const tagFirst = TAG.exec(rest);
      const space = rest.indexOf(' ');
      if (!tagFirst && space > 0 && HOSTNAME.test(rest.slice(0, space))) {
        hostname = rest.slice(0, space);
        rest = rest.slice(space + 1);
      }
      const tag = TAG.exec(rest);
      if (tag) {
        app = tag[1]!;
        rest = rest.slice(tag[0].length);
      }
      return { pri, time: Number.isFinite(time) ? time : null, hostname, app, payload: rest };
    }
  }
  return { pri, time: null, hostname: null, app: null, payload: rest };
}

/** The first `n` space-separated fields and the remainder; null when there are fewer. */
function splitFields(s: string, n: number): string[] | null {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const sp = s.indexOf(' ', start);
    if (sp === -1) return null;
    out.push(s.slice(start, sp));
    start = sp + 1;
  }
  out.push(s.slice(start));
  return out;
}
