/**
 * Test support for the vendor parser tests (imported by `*.parser.test.ts` only): the invariants every outcome
 * must satisfy, and fast-check arbitraries for random and mutated lines.
 */
import { EVENT_FIELDS, type NormalizedEvent, type ParseContext, type ParseResult } from '@shadow-ai/core';
import fc from 'fast-check';
import { expect } from 'vitest';

export const ctx: ParseContext = { receivedAt: new Date('2030-01-01T00:00:00.000Z') };

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** What any result must look like: an event that keeps the contract, or a non-empty reason. */
export function expectWellFormed(result: ParseResult, format: string): void {
  if (!result.ok) {
    expect(typeof result.reason).toBe('string');
    expect(result.reason.length).toBeGreaterThan(0);
    return;
  }
  const e = result.event;
  expect(Object.keys(e).sort()).toEqual([...EVENT_FIELDS].sort());
  expect(e.ts).toMatch(ISO_MS);
  expect(e.format).toBe(format);
  expect(['proxy', 'dns', 'tls', 'flow']).toContain(e.kind);
  expect([null, 'allowed', 'blocked']).toContain(e.action);
  if (e.host !== null) {
    expect(e.host).toBe(e.host.toLowerCase());
    expect(e.host.endsWith('.')).toBe(false);
    expect(e.host.length).toBeGreaterThan(0);
  }
  if (e.destPort !== null) expect(Number.isInteger(e.destPort) && e.destPort >= 1 && e.destPort <= 65535).toBe(true);
  for (const n of [e.bytesIn, e.bytesOut]) if (n !== null) expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
  if (e.status !== null) expect(Number.isInteger(e.status) && e.status >= 100 && e.status <= 999).toBe(true);
}

/** Expects a parsed event and returns it. */
export function eventOf(result: ParseResult): NormalizedEvent {
  if (!result.ok) throw new Error(`expected the line to parse, got: ${result.reason}`);
  return result.event;
}

/** Expects a rejection and returns its reason. */
export function reasonOf(result: ParseResult): string {
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.event)}`);
  return result.reason;
}

/** Random strings: any UTF-16 code units, or chars drawn from a format's own alphabet. */
export function randomLine(alphabet: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 300 }),
  );
}

/**
 * A valid line with 1–6 random edits: a char deleted, inserted or replaced (from `alphabet`), or the line cut
 * short.
 */
export function mutatedLine(seeds: readonly string[], alphabet: string): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), fc.constantFrom(...alphabet));
  return fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 6 })).map(([seed, edits]) => {
    const chars = [...seed];
    for (const [pos, op, ch] of edits) {
      const at = pos % (chars.length + 1);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, ch);
      else if (op === 2) chars[at] = ch;
      else chars.length = at;
    }
    return chars.join('');
  });
}
