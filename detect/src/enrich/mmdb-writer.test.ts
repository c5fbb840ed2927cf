// The test MMDB writer (test/support/mmdb) is only useful if real readers accept what it writes,
// so every assertion here reads the file back through the `maxmind` package.
// (It lives in detect/ because `maxmind` is a dependency of this workspace, not of test/.)

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, type Response } from 'maxmind';
import { buildMmdb, MmdbTyped, writeMmdb, type MmdbEntry, type MmdbWriteOptions } from '../../../test/support/mmdb/mmdb-writer.ts';

let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mmdb-writer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function roundTrip(entries: MmdbEntry[], opts: MmdbWriteOptions = {}) {
  const path = join(dir, `db-${n++}.mmdb`);
  await writeMmdb(path, entries, opts);
  return open<Response>(path);
}

/** The reader's records are typed as GeoIP responses; tests look at them as plain data. */
function get(reader: { get(ip: string): Response | null }, ip: string): unknown {
  return reader.get(ip);
}

const CLOUDFLARE = { autonomous_system_number: 13335, autonomous_system_organization: 'CLOUDFLARENET' };

describe('mmdb-writer', () => {
  it.each([24, 28, 32] as const)('writes an IPv6 tree with IPv4 in ::/96 readable with %i-bit records', async (recordSize) => {
    const reader = await roundTrip(
      [
        { network: '162.159.140.0/24', data: CLOUDFLARE },
        { network: '2606:4700::/32', data: CLOUDFLARE },
      ],
      { recordSize, databaseType: 'GeoLite2-ASN', buildEpoch: 1_750_000_000 },
    );
    expect(reader.metadata).toMatchObject({
      binaryFormatMajorVersion: 2,
      recordSize,
      ipVersion: 6,
      databaseType: 'GeoLite2-ASN',
      buildEpoch: new Date(1_750_000_000_000),
    });
    expect(reader.getWithPrefixLength('162.159.140.7')).toEqual([CLOUDFLARE, 24]);
    expect(reader.getWithPrefixLength('2606:4700:10::6816:1')).toEqual([CLOUDFLARE, 32]);
    expect(get(reader, '162.159.141.1')).toBeNull();
    expect(get(reader, '2606:4701::1')).toBeNull();
    // The IPv4 networks really live under ::/96, where an IPv6-address lookup finds them too.
    expect(get(reader, '::a29f:8c07')).toEqual(CLOUDFLARE);
  });

  it('round-trips every data type it encodes', async () => {
    const data = {
      str: 'héllo',
      long: 'x'.repeat(70_000), // exercises the 3-byte size form
      mid: 'y'.repeat(300), // exercises the 2-byte size form
      u32: 4_294_967_295,
      zero: 0,
      neg: -42,
      dbl: 2.5,
      big: 2n ** 40n,
      u128: 2n ** 100n,
      u16: new MmdbTyped('uint16', 65_535),
      flt: new MmdbTyped('float', 1.5),
      t: true,
      f: false,
      bytes: new Uint8Array([0, 1, 255]),
      list: [1, 'two', [3]],
      nested: { a: { b: 'c' } },
      empty: {},
    };
    const reader = await roundTrip([{ network: '198.51.100.0/24', data }]);
    expect(get(reader, '198.51.100.1')).toEqual({
      ...data,
      u16: 65_535,
      flt: 1.5,
      bytes: Buffer.from([0, 1, 255]),
    });
  });

  it('lets the most specific network win whatever the input order', async () => {
    const reader = await roundTrip([
      { network: '10.1.2.0/24', data: { v: 'specific' } },
      { network: '0.0.0.0/0', data: { v: 'all-v4' } },
      { network: '10.0.0.0/8', data: { v: 'ten' } },
      { network: '::/0', data: { v: 'everything' } },
    ]);
    expect(get(reader, '10.1.2.3')).toEqual({ v: 'specific' });
    expect(get(reader, '10.1.3.3')).toEqual({ v: 'ten' });
    expect(get(reader, '11.0.0.1')).toEqual({ v: 'all-v4' });
    expect(get(reader, '2001:db8::1')).toEqual({ v: 'everything' });
  });

  it('stores identical records once', () => {
    const buf = buildMmdb([
      { network: '1.1.1.0/24', data: CLOUDFLARE },
      { network: '162.159.140.0/24', data: CLOUDFLARE },
      { network: '2606:4700::/32', data: CLOUDFLARE },
    ]);
    expect(buf.toString('latin1').split('CLOUDFLARENET')).toHaveLength(2);
  });

  it('writes IPv4-only databases', async () => {
    const reader = await roundTrip([{ network: '203.0.113.0/25', data: { country_code: 'NL' } }], { ipVersion: 4 });
    expect(reader.metadata.ipVersion).toBe(4);
    expect(reader.getWithPrefixLength('203.0.113.5')).toEqual([{ country_code: 'NL' }, 25]);
    expect(get(reader, '203.0.113.200')).toBeNull();
  });

  it('encodes the high nibble of 28-bit records (data beyond 16 MiB)', async () => {
    // A record past 2^24 forces 28-bit records, whose top 4 bits share the node's middle byte.
    const reader = await roundTrip([
      { network: '10.0.0.0/8', data: { blob: 'a'.repeat(16_800_000) } },
      { network: '11.0.0.0/8', data: { v: 'after-the-blob' } },
    ]);
    expect(reader.metadata.recordSize).toBe(28);
    expect(get(reader, '11.2.3.4')).toEqual({ v: 'after-the-blob' });
    const blob = get(reader, '10.2.3.4') as { blob: string };
    expect(blob.blob).toHaveLength(16_800_000);
  });

  it('rejects networks and values it cannot write', () => {
    expect(() => buildMmdb([{ network: '10.0.0.1/8', data: {} }])).toThrow(/host bits/);
    expect(() => buildMmdb([{ network: '10.0.0.0/33', data: {} }])).toThrow(/prefix/);
    expect(() => buildMmdb([{ network: 'nope/8', data: {} }])).toThrow(/invalid network/);
    expect(() => buildMmdb([{ network: '2001:db8::/32', data: {} }], { ipVersion: 4 })).toThrow(/IPv4 database/);
    expect(() => buildMmdb([{ network: '10.0.0.0/8', data: { x: null } }])).toThrow(/cannot encode data\.x/);
    expect(() => buildMmdb([{ network: '10.0.0.0/8', data: {} }], { recordSize: 24, databaseType: 'x' })).not.toThrow();
  });
});
