import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open } from 'maxmind';
import { buildMmdb, writeMmdb } from '../../../test/support/mmdb/mmdb-writer.ts';
import { defaultCountryDb, openDestIpEnricher, type DestIpEnricher } from './dest-ip.enricher.ts';

const CLOUDFLARE = { autonomous_system_number: 13335, autonomous_system_organization: 'CLOUDFLARENET' };
const GOOGLE = { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' };
const geoCountry = (iso: string) => ({ country: { iso_code: iso, names: { en: iso } }, registered_country: { iso_code: iso } });

let dir: string;
const db = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dest-ip-'));
  await writeMmdb(
    db('asn.mmdb'),
    [
      { network: '162.159.140.0/24', data: CLOUDFLARE },
      { network: '1.1.1.0/24', data: CLOUDFLARE },
      { network: '2606:4700::/32', data: CLOUDFLARE },
      { network: '8.8.8.0/24', data: GOOGLE },
      { network: '172.32.0.0/16', data: { autonomous_system_number: 64500, autonomous_system_organization: 'EDGE-OF-172' } },
      { network: '100.128.0.0/16', data: { autonomous_system_number: 64501, autonomous_system_organization: 'EDGE-OF-CGNAT' } },
    ],
    { databaseType: 'GeoLite2-ASN' },
  );
  // GeoLite2-Country shape; 8.8.8.0/24 only carries the registrant's country, as GeoLite2 sometimes does.
  await writeMmdb(
    db('country-geolite.mmdb'),
    [
      { network: '162.159.140.0/24', data: geoCountry('US') },
      { network: '2606:4700::/32', data: geoCountry('US') },
      { network: '8.8.8.0/24', data: { registered_country: { iso_code: 'US' } } },
    ],
    { databaseType: 'GeoLite2-Country' },
  );
  // @ip-location-db shape.
  await writeMmdb(
    db('country-ipl.mmdb'),
    [
      { network: '1.1.1.0/24', data: { country_code: 'AU' } },
      { network: '2606:4700::/32', data: { country_code: 'US' } },
    ],
    { databaseType: 'country ipvAll' },
  );
  // Answers for every address: a lookup that reached the reader could never come back null.
  await writeMmdb(db('catch-all.mmdb'), [{ network: '::/0', data: { country_code: 'ZZ', ...CLOUDFLARE } }]);
  await writeMmdb(db('ipv4-only.mmdb'), [{ network: '0.0.0.0/0', data: { country_code: 'NL' } }], { ipVersion: 4 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withEnricher(opts: Parameters<typeof openDestIpEnricher>[0], body: (e: DestIpEnricher) => void | Promise<void>) {
  const enricher = await openDestIpEnricher(opts);
  try {
    await body(enricher);
  } finally {
    enricher.close();
  }
}

describe('openDestIpEnricher lookups', () => {
  it('resolves IPv4 and IPv6 from GeoLite2-shaped ASN and country databases', async () => {
    await withEnricher({ asnDb: db('asn.mmdb'), countryDb: db('country-geolite.mmdb') }, (e) => {
      expect(e.lookup('162.159.140.229')).toEqual({ asn: 13335, asOrg: 'CLOUDFLARENET', country: 'US' });
      expect(e.lookup('2606:4700:3033::6815:3cd')).toEqual({ asn: 13335, asOrg: 'CLOUDFLARENET', country: 'US' });
      expect(e.lookup('2606:4700:3033:0:0:0:6815:3CD')).toEqual({ asn: 13335, asOrg: 'CLOUDFLARENET', country: 'US' });
      // Falls back to registered_country when the country block is absent.
      expect(e.lookup('8.8.8.8')).toEqual({ asn: 15169, asOrg: 'GOOGLE', country: 'US' });
      // In the ASN database only.
      expect(e.lookup('1.1.1.1')).toEqual({ asn: 13335, asOrg: 'CLOUDFLARENET', country: null });
    });
  });

  it('reads the @ip-location-db { country_code } shape', async () => {
    await withEnricher({ asnDb: db('asn.mmdb'), countryDb: db('country-ipl.mmdb') }, (e) => {
      expect(e.lookup('1.1.1.1')).toEqual({ asn: 13335, asOrg: 'CLOUDFLARENET', country: 'AU' });
      expect(e.lookup('2606:4700::1111')).toEqual({ asn: 13335, asOrg: 'CLOUDFLARENET', country: 'US' });
    });
  });

  it('works with only one database configured', async () => {
    await withEnricher({ countryDb: db('country-ipl.mmdb') }, (e) => {
      expect(e.lookup('1.1.1.1')).toEqual({ asn: null, asOrg: null, country: 'AU' });
    });
    await withEnricher({ asnDb: db('asn.mmdb') }, (e) => {
      expect(e.lookup('8.8.4.4')).toBeNull(); // not in 8.8.8.0/24
      expect(e.lookup('8.8.8.8')).toEqual({ asn: 15169, asOrg: 'GOOGLE', country: null });
    });
  });

  it('returns null for a public address no database knows', async () => {
    await withEnricher({ asnDb: db('asn.mmdb'), countryDb: db('country-geolite.mmdb') }, (e) => {
      expect(e.lookup('9.9.9.9')).toBeNull();
      expect(e.lookup('2a00:1450:4001::200e')).toBeNull();
      expect(e.stats().dbLookups).toBe(2);
    });
  });

  it('looks up IPv4-mapped and NAT64 addresses as the embedded IPv4 address', async () => {
    await withEnricher({ asnDb: db('asn.mmdb'), countryDb: db('country-geolite.mmdb') }, (e) => {
      const cf = { asn: 13335, asOrg: 'CLOUDFLARENET', country: 'US' };
      expect(e.lookup('::ffff:162.159.140.229')).toEqual(cf);
      expect(e.lookup('::ffff:a29f:8ce5')).toEqual(cf);
      expect(e.lookup('64:ff9b::162.159.140.229')).toEqual(cf);
    });
  });

  it('never asks an IPv4-only database about IPv6 addresses', async () => {
    await withEnricher({ countryDb: db('ipv4-only.mmdb') }, (e) => {
      expect(e.lookup('81.2.69.1')).toEqual({ asn: null, asOrg: null, country: 'NL' });
      expect(e.lookup('2606:4700::1111')).toBeNull();
    });
  });
});

describe('addresses that are never looked up', () => {
  const nonPublic = [
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '127.0.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.254',
    '0.0.0.0',
    '224.0.0.251',
    '239.255.255.250',
    '255.255.255.255',
    '::',
    '::1',
    'fe80::1',
    'fe80::1%eth0',
    'FE80::abcd',
    'febf::1',
    'fd12:3456:789a::1',
    'fc00::1',
    'fec0::1',
    'ff02::1',
    '::ffff:10.0.0.1',
    '::ffff:192.168.1.1',
    '::ffff:7f00:1',
    '64:ff9b::10.0.0.1',
  ];

  it('returns null for private, loopback, link-local, ULA, CGNAT, multicast and reserved ranges', async () => {
    await withEnricher({ asnDb: db('catch-all.mmdb'), countryDb: db('catch-all.mmdb') }, (e) => {
      for (const ip of nonPublic) expect(e.lookup(ip), ip).toBeNull();
      expect(e.stats().dbLookups).toBe(0);
      // The neighbours of those ranges are public and do reach the database.
      for (const ip of ['172.32.0.1', '172.15.255.255', '100.128.0.1', '192.169.0.1', '11.0.0.1', '2001:4860::8888']) {
        expect(e.lookup(ip), ip).toEqual({ asn: 13335, asOrg: 'CLOUDFLARENET', country: 'ZZ' });
      }
      expect(e.stats().dbLookups).toBe(6);
    });
  });

  it('returns null for invalid input without throwing or caching it', async () => {
    const invalid: unknown[] = [
      '',
      'not-an-ip',
      'example.com',
      '256.1.1.1',
      '1.2.3',
      '01.2.3.4',
      '1.2.3.4:443',
      ' 1.1.1.1',
      '[2606:4700::1]',
      '2606:4700::1::1',
      '2606:4700:0:0:0:0:0:0:1',
      'gggg::1',
      '1.1.1.1%eth0',
      'x'.repeat(100_000),
      undefined,
      null,
      42,
      {},
      ['1.1.1.1'],
    ];
    await withEnricher({ asnDb: db('catch-all.mmdb') }, (e) => {
      for (const value of invalid) expect(e.lookup(value as string), String(value).slice(0, 40)).toBeNull();
      expect(e.stats()).toMatchObject({ dbLookups: 0, cacheSize: 0, errors: 0 });
    });
  });
});

describe('cache', () => {
  it('serves repeated destinations from the cache', async () => {
    await withEnricher({ asnDb: db('asn.mmdb'), countryDb: db('country-geolite.mmdb') }, (e) => {
      const first = e.lookup('162.159.140.229');
      expect(e.stats()).toMatchObject({ hits: 0, misses: 1, dbLookups: 1, cacheSize: 1, cacheCapacity: 100_000 });
      const second = e.lookup('162.159.140.229');
      expect(second).toBe(first);
      expect(e.stats()).toMatchObject({ hits: 1, misses: 1, dbLookups: 1 });
      // Shared between callers, so it must not be mutable.
      expect(Object.isFrozen(second)).toBe(true);
      // Non-public nulls are cached too; invalid strings are not (see above).
      e.lookup('10.0.0.1');
      e.lookup('10.0.0.1');
      expect(e.stats()).toMatchObject({ hits: 2, misses: 2, dbLookups: 1, cacheSize: 2 });
    });
  });

  it('evicts the least recently used entry at capacity', async () => {
    await withEnricher({ asnDb: db('asn.mmdb'), cacheSize: 2 }, (e) => {
      const [a, b, c] = ['1.1.1.1', '8.8.8.8', '162.159.140.1'] as const;
      e.lookup(a); // miss  [a]
      e.lookup(b); // miss  [a b]
      e.lookup(a); // hit   [b a]
      e.lookup(c); // miss, evicts b  [a c]
      e.lookup(a); // hit   [c a]
      e.lookup(b); // miss, evicts c  [a b]
      e.lookup(c); // miss, evicts a  [b c]
      expect(e.stats()).toMatchObject({ hits: 2, misses: 5, dbLookups: 5, cacheSize: 2, cacheCapacity: 2 });
    });
  });

  it('can be disabled with cacheSize 0', async () => {
    await withEnricher({ asnDb: db('asn.mmdb'), cacheSize: 0 }, (e) => {
      e.lookup('1.1.1.1');
      e.lookup('1.1.1.1');
      expect(e.stats()).toMatchObject({ hits: 0, misses: 2, dbLookups: 2, cacheSize: 0 });
    });
  });
});

describe('opening databases', () => {
  it('names the path of a missing file', async () => {
    const missing = db('nope/GeoLite2-ASN.mmdb');
    await expect(openDestIpEnricher({ asnDb: missing })).rejects.toThrow(`cannot open ASN MMDB '${missing}': file does not exist`);
    await expect(openDestIpEnricher({ asnDb: db('asn.mmdb'), countryDb: missing })).rejects.toThrow(
      `cannot open country MMDB '${missing}'`,
    );
  });

  it('names the path of a file that is not an MMDB', async () => {
    const garbage = db('garbage.mmdb');
    await writeFile(garbage, Buffer.from('this is a CSV file, not a database\n'.repeat(50)));
    await expect(openDestIpEnricher({ countryDb: garbage })).rejects.toThrow(`cannot open country MMDB '${garbage}': not a valid MaxMind DB file`);
    await expect(openDestIpEnricher({ countryDb: dir })).rejects.toThrow(`'${dir}': not a regular file`);
  });

  it('rejects a truncated database at open, not on the first lookup', async () => {
    const whole = await readFile(db('asn.mmdb'));
    const truncated = db('truncated.mmdb');
    // Keep the metadata (the tail) but cut the search tree short.
    await writeFile(truncated, Buffer.concat([whole.subarray(0, 200), whole.subarray(whole.length - 300)]));
    await expect(openDestIpEnricher({ asnDb: truncated })).rejects.toThrow(`cannot open ASN MMDB '${truncated}'`);
  });

  it('treats a corrupt record as unknown instead of throwing', async () => {
    const path = db('bad-record.mmdb');
    const buf = buildMmdb([{ network: '203.0.113.0/24', data: CLOUDFLARE }]);
    const { searchTreeSize } = (await open(await writeThen(path, buf))).metadata;
    // Overwrite the record's control byte with an invalid extended type.
    buf[searchTreeSize + 16] = 0x00;
    buf[searchTreeSize + 17] = 0x00;
    await writeFile(path, buf);
    await withEnricher({ asnDb: path }, (e) => {
      expect(e.lookup('203.0.113.9')).toBeNull();
      expect(e.stats().errors).toBe(1);
    });
  });

  it('rejects configurations without a database or with a bad cache size', async () => {
    await expect(openDestIpEnricher({})).rejects.toThrow(/at least one of asnDb \/ countryDb/);
    await expect(openDestIpEnricher({ asnDb: db('asn.mmdb'), cacheSize: -1 })).rejects.toThrow(/cacheSize/);
  });

  it('answers null after close', async () => {
    const e = await openDestIpEnricher({ asnDb: db('asn.mmdb') });
    expect(e.lookup('8.8.8.8')).not.toBeNull();
    e.close();
    expect(e.lookup('8.8.8.8')).toBeNull();
  });
});

describe('the country database shipped in @ip-location-db/geo-whois-asn-country-mmdb', () => {
  it('resolves well-known public addresses to an ISO 3166 alpha-2 code', async () => {
    const path = defaultCountryDb();
    expect(path).not.toBeNull();
    expect(path).toMatch(/geo-whois-asn-country\.mmdb$/);
    expect(existsSync(path!)).toBe(true);
    await withEnricher({ countryDb: path! }, (e) => {
      for (const ip of ['8.8.8.8', '1.1.1.1', '193.0.6.139', '2001:4860:4860::8888', '2606:4700:4700::1111']) {
        const info = e.lookup(ip);
        expect(info, ip).toEqual({ asn: null, asOrg: null, country: expect.stringMatching(/^[A-Z]{2}$/) });
      }
      expect(e.lookup('192.168.0.1')).toBeNull();
    });
  });
});

async function writeThen(path: string, buf: Buffer): Promise<string> {
  await writeFile(path, buf);
  return path;
}
