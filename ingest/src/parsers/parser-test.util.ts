/**
 * Test support for the parser tests (not used at run time): result unwrapping, the contract's invariants
 * and the fast-check robustness properties every parser must pass.
 */
import { EVENT_FIELDS, type LineParser, type NormalizedEvent, type ParseContext, type ParseResult } from '@shadow-ai/core';
import fc from 'fast-check';
import { isIP } from 'node:net';
import { expect } from 'vitest';

export function ctxAt(iso: string): ParseContext {
  return { receivedAt: new Date(iso) };
}

export function okEvent(result: ParseResult): NormalizedEvent {
  if (!result.ok) throw new Error(`expected an event, got: ${result.reason}${result.skip ? ' (skip)' : ''}`);
  return result.event;
}

/** The reason of a rejection (a skip is not a rejection). */
export function rejectReason(result: ParseResult): string {
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.event)}`);
  if (result.skip) throw new Error(`expected a rejection, got a skip: ${result.reason}`);
  return result.reason;
}

/** The reason of a skip (header/comment/non-event line). */
export function skipReason(result: ParseResult): string {
  if (result.ok) throw new Error(`expected a skip, got ${JSON.stringify(result.event)}`);
  if (!result.skip) throw new Error(`expected a skip, got a rejection: ${result.reason}`);
  return result.reason;
}

/** Every field of the contract, null except those given. */
export function eventWith(fields: Partial<NormalizedEvent> & Pick<NormalizedEvent, 'ts' | 'kind' | 'format'>): NormalizedEvent {
  return {
    user: null, srcIp: null, host: null, destIp: null, destPort: null, url: null, method: null, status: null,
    bytesOut: null, bytesIn: null, userAgent: null, action: null, dnsType: null, dnsRcode: null, ...fields,
  };
}

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const SORTED_FIELDS = [...EVENT_FIELDS].sort();

/** What any result of any parser must satisfy (throws through expect on a violation). */
export function checkInvariants(result: ParseResult, format: string): void {
  if (!result.ok) {
    expect(typeof result.reason).toBe('string');
    expect(result.reason.length).toBeGreaterThan(0);
    expect(result.skip === undefined || result.skip === true).toBe(true);
    return;
  }
  const e = result.event;
  expect(Object.keys(e).sort()).toEqual(SORTED_FIELDS);
  expect(e.ts).toMatch(ISO_MS);
  expect(e.format).toBe(format);
  expect(['proxy', 'dns', 'tls', 'flow']).toContain(e.kind);
  if (e.host !== null) {
    expect(e.host.length).toBeGreaterThan(0);
    expect(e.host).toBe(e.host.toLowerCase());
    expect(e.host.endsWith('.')).toBe(false);
  }
  for (const ip of [e.srcIp, e.destIp]) if (ip !== null) expect(isIP(ip)).not.toBe(0);
  if (e.destPort !== null) expect(Number.isInteger(e.destPort) && e.destPort >= 1 && e.destPort <= 65535).toBe(true);
  if (e.status !== null) expect(Number.isInteger(e.status) && e.status >= 100 && e.status <= 999).toBe(true);
  for (const n of [e.bytesIn, e.bytesOut]) if (n !== null) expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
  expect([null, 'allowed', 'blocked']).toContain(e.action);
  for (const s of [e.user, e.url, e.method, e.userAgent, e.dnsType, e.dnsRcode]) {
    if (s !== null) expect(s.length).toBeGreaterThan(0);
  }
}

const STRUCTURE = [
  ' ', '\t', '|', '=', '\\', '"', "'", '-', ':', '#', '[', ']', '{', '}', '(', ')', '%', '.', '/', ',', '0', '9', '@',
  '\\x09', '\\|', '\\=', 'é', '中', '\u0000', '\ufffd', '99999999999999999999',
];

/** Strings that look a bit like log text. */
const noise = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
  fc.constantFrom(...STRUCTURE),
);

/** A valid line with 1–6 random deletions, insertions, replacements or a truncation. */
export function mutatedLine(seeds: readonly string[]): fc.Arbitrary<string> {
  return fc.tuple(
    fc.constantFrom(...seeds),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), noise), { minLength: 1, maxLength: 6 }),
  ).map(([seed, edits]) => {
    let s = seed;
    for (const [at, op, text] of edits) {
      const i = s.length === 0 ? 0 : at % (s.length + 1);
      if (op === 0) s = s.slice(0, i) + s.slice(i + 1);
      else if (op === 1) s = s.slice(0, i) + text + s.slice(i);
      else if (op === 2) s = s.slice(0, i) + text + s.slice(i + text.length);
      else s = s.slice(0, i);
    }
    return s;
  });
}

/**
 * The robustness properties: arbitrary strings and mutated valid lines never make the parser throw, and
 * every result is a contract-conforming event or a reason. `makeParser` gives a fresh instance per run;
 * `prime` lines (headers of stateful formats) are fed to it first.
 */
export function assertNeverThrows(
  makeParser: () => LineParser, format: string, seeds: readonly string[], ctx: ParseContext,
  prime: readonly string[] = [],
): { accepted: number; runs: number } {
  const fresh = (): LineParser => {
    const parse = makeParser();
    for (const line of prime) parse(line, ctx);
    return parse;
  };
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
    checkInvariants(fresh()(s, ctx), format);
  }), { numRuns: 400 });
  let accepted = 0;
  let runs = 0;
  fc.assert(fc.property(mutatedLine(seeds), (s) => {
    const result = fresh()(s, ctx);
    checkInvariants(result, format);
    runs++;
    if (result.ok) accepted++;
  }), { numRuns: 800 });
  return { accepted, runs };
}
