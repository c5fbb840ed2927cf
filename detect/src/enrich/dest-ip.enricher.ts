// Destination-IP enrichment: the ASN / AS organisation and country of an event's `destIp`, read
// from MaxMind DB (MMDB) files with the `maxmind` package.
//
// Two databases, both optional (at least one required):
//  - an ASN database shaped like GeoLite2-ASN: { autonomous_system_number, autonomous_system_organization }
//  - a country database shaped like GeoLite2-Country ({ country: { iso_code } }, falling back to
//    registered_country) or like @ip-location-db's free databases ({ country_code }).
// Fields are read from whichever database has them, so one combined database can be passed as either.
//
// The same destination IPs repeat heavily in proxy/DNS telemetry, so a bounded LRU keyed by the
// raw input string sits in front of the readers: a hit costs one Map lookup, no parsing.

import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isIPv4, isIPv6 } from 'node:net';
import { open, type Reader, type Response } from 'maxmind';
import { LruCache } from './lru-cache.ts';

export interface DestIpInfo {
  asn: number | null;
  asOrg: string | null;
  country: string | null;
}

export interface DestIpEnricherStats {
  /** Lookups answered from the cache (including cached "non-public" nulls). */
  hits: number;
  /** Lookups that were not in the cache. */
  misses: number;
  /** Misses that went to the MMDB readers (public, valid addresses). */
  dbLookups: number;
  /** Reader errors swallowed as "unknown" (a corrupt region of a database). */
  errors: number;
  cacheSize: number;
  cacheCapacity: number;
}

export interface DestIpEnricher {
  /**
   * ASN/org/country of a destination IP. null for invalid input, for non-public addresses
   * (private, loopback, link-local, ULA, CGNAT, multicast, unspecified, reserved) and when neither
   * database knows the address. Never throws; after close() always null.
   */
  lookup(ip: string): DestIpInfo | null;
  stats(): DestIpEnricherStats;
  close(): void;
}

export interface DestIpEnricherOptions {
  asnDb?: string;
  countryDb?: string;
  /** LRU entries in front of the readers; 0 disables the cache. Default 100 000. */
  cacheSize?: number;
}

export const DEFAULT_CACHE_SIZE = 100_000;

const COUNTRY_PACKAGE_DB = '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb';

/**
 * Path of the free IPv4+IPv6 country MMDB shipped in @ip-location-db/geo-whois-asn-country-mmdb
 * (records are `{ country_code: 'US' }`), or null when the package is not installed.
 */
export function defaultCountryDb(): string | null {
  try {
    return createRequire(import.meta.url).resolve(COUNTRY_PACKAGE_DB);
  } catch {
    return null;
  }
}

export async function openDestIpEnricher(opts: DestIpEnricherOptions): Promise<DestIpEnricher> {
  const { asnDb, countryDb } = opts;
  const cacheSize = opts.cacheSize ?? DEFAULT_CACHE_SIZE;
  if (asnDb === undefined && countryDb === undefined) {
    throw new Error('dest-ip enricher: configure at least one of asnDb / countryDb');
  }
  if (!Number.isInteger(cacheSize) || cacheSize < 0) {
    throw new Error(`dest-ip enricher: cacheSize must be a non-negative integer, got ${cacheSize}`);
  }
  const [asnReader, countryReader] = await Promise.all([
    asnDb === undefined ? null : openReader('ASN', asnDb),
    countryDb === undefined ? null : openReader('country', countryDb),
  ]);
  return new MmdbDestIpEnricher(asnReader, countryReader, cacheSize);
}

// ---------------------------------------------------------------------------------------------

type MmdbReader = Reader<Response>;

async function openReader(kind: string, path: string): Promise<MmdbReader> {
  const fail = (why: string, cause?: unknown): Error =>
    new Error(`dest-ip enricher: cannot open ${kind} MMDB '${path}': ${why}`, cause === undefined ? undefined : { cause });

  let info: Stats;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? 'file does not exist' : errorText(err), err);
  }
  if (!info.isFile()) throw fail('not a regular file');
  const size = info.size;

  let reader: MmdbReader;
  try {
    reader = await open<Response>(path);
  } catch (err) {
    // mmdb-lib's own messages ("Unknown type 151 at offset 1") do not say what is wrong to an operator.
    throw fail(`not a valid MaxMind DB file (${errorText(err)})`, err);
  }

  // The reader only parses the metadata; a truncated file passes that and fails on first lookup,
  // so check that the search tree the metadata describes actually fits in the file.
  const { ipVersion, searchTreeSize, nodeCount } = reader.metadata;
  if ((ipVersion !== 4 && ipVersion !== 6) || nodeCount <= 0 || searchTreeSize + 16 > size) {
    throw fail('metadata does not match the file (truncated or corrupt)');
  }
  try {
    // One lookup per family walks the tree into the data section: catches the remaining corruption early.
    reader.get('1.1.1.1');
    if (ipVersion === 6) reader.get('2606:4700::1111');
  } catch (err) {
    throw fail(`corrupt search tree or data section (${errorText(err)})`, err);
  }
  return reader;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class MmdbDestIpEnricher implements DestIpEnricher {
  private readonly cache: LruCache<string, DestIpInfo | null>;
  private closed = false;
  private hits = 0;
  private misses = 0;
  private dbLookups = 0;
  private errors = 0;

  constructor(
    private asnReader: MmdbReader | null,
    private countryReader: MmdbReader | null,
    cacheSize: number,
  ) {
    this.cache = new LruCache(cacheSize);
  }

  lookup(ip: string): DestIpInfo | null {
    // Runtime guard: events come from parsed telemetry, and "never throws" must hold for any value.
    if (this.closed || typeof ip !== 'string') return null;
    const cached = this.cache.get(ip);
    if (cached !== undefined) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const target = publicTarget(ip);
    // Invalid strings are not cached: their variety is unbounded and they would evict real entries.
    if (target === INVALID) return null;
    if (target === NON_PUBLIC) {
      // Internal destinations repeat as much as public ones; caching the null skips re-parsing.
      this.cache.set(ip, null);
      return null;
    }
    this.dbLookups++;
    const info = this.resolve(target.address, target.v6);
    this.cache.set(ip, info);
    return info;
  }

  stats(): DestIpEnricherStats {
    return {
      hits: this.hits,
      misses: this.misses,
      dbLookups: this.dbLookups,
      errors: this.errors,
      cacheSize: this.cache.size,
      cacheCapacity: this.cache.capacity,
    };
  }

  close(): void {
    // The maxmind reader holds the file in memory, not a descriptor: dropping the references is
    // what frees it.
    this.closed = true;
    this.cache.clear();
    this.asnReader = null;
    this.countryReader = null;
  }

  private resolve(address: string, v6: boolean): DestIpInfo | null {
    const asnRecord = this.read(this.asnReader, address, v6);
    const countryRecord = this.read(this.countryReader, address, v6);
    const asn = asnFields(asnRecord) ?? asnFields(countryRecord);
    const country = countryField(countryRecord) ?? countryField(asnRecord);
    if (asn === null && country === null) return null;
    // Frozen because the same object is handed to every caller that hits this cache entry.
    return Object.freeze({ asn: asn?.asn ?? null, asOrg: asn?.asOrg ?? null, country });
  }

  private read(reader: MmdbReader | null, address: string, v6: boolean): unknown {
    // mmdb-lib walks an IPv4-only tree with all 128 bits of an IPv6 address and returns garbage
    // instead of failing (libmaxminddb reports an error), so never ask an IPv4 database about IPv6.
    if (reader === null || (v6 && reader.metadata.ipVersion === 4)) return null;
    try {
      return reader.get(address);
    } catch {
      this.errors++;
      return null;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Record shapes

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asnFields(record: unknown): { asn: number | null; asOrg: string | null } | null {
  if (!isRecord(record)) return null;
  const rawAsn = record['autonomous_system_number'];
  const rawOrg = record['autonomous_system_organization'];
  let asn: number | null = null;
  if (typeof rawAsn === 'number' && Number.isSafeInteger(rawAsn) && rawAsn >= 0) asn = rawAsn;
  // A writer may legally store the number as uint64, which mmdb-lib decodes to a bigint.
  else if (typeof rawAsn === 'bigint' && rawAsn >= 0n && rawAsn <= BigInt(Number.MAX_SAFE_INTEGER)) asn = Number(rawAsn);
  const asOrg = typeof rawOrg === 'string' && rawOrg !== '' ? rawOrg : null;
  return asn === null && asOrg === null ? null : { asn, asOrg };
}

const ISO_ALPHA2 = /^[A-Za-z]{2}$/;

function countryField(record: unknown): string | null {
  if (!isRecord(record)) return null;
  const country = record['country'];
  const registered = record['registered_country'];
  const candidates: unknown[] = [
    isRecord(country) ? country['iso_code'] : undefined, // GeoLite2 / GeoIP2 Country, City
    isRecord(registered) ? registered['iso_code'] : undefined, // GeoLite2 when only the registrant's country is known
    record['country_code'], // @ip-location-db
  ];
  for (const code of candidates) {
    if (typeof code === 'string' && ISO_ALPHA2.test(code)) return code.toUpperCase();
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Address classification

const INVALID = 0;
const NON_PUBLIC = 1;
type Target = typeof INVALID | typeof NON_PUBLIC | { address: string; v6: boolean };

/** The longest textual IPv6 address ('ffff:...:255.255.255.255') is 45 characters. */
const MAX_IP_LENGTH = 45;

/**
 * What to look up for `ip`: INVALID, NON_PUBLIC (answer known without a lookup), or the address
 * to query. IPv4 embedded in IPv6 (::ffff:a.b.c.d mapped, 64:ff9b::a.b.c.d NAT64) is looked up
 * as IPv4: that is the real destination, and not every database aliases those ranges.
 */
function publicTarget(ip: string): Target {
  if (ip.length === 0 || ip.length > MAX_IP_LENGTH) return INVALID;
  if (isIPv4(ip)) return isPublicV4(ipv4ToInt(ip)) ? { address: ip, v6: false } : NON_PUBLIC;
  // A zone id (fe80::1%eth0) only exists on scoped, non-global addresses: nothing to look up.
  if (ip.includes('%')) return isIPv6(ip) ? NON_PUBLIC : INVALID;
  if (!isIPv6(ip)) return INVALID;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = ipv6Groups(ip) as [number, number, number, number, number, number, number, number];
  const zero4 = g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  // ::ffff:0:0/96 (IPv4-mapped) and 64:ff9b::/96 (NAT64 well-known prefix).
  if ((g0 === 0 && zero4 && g5 === 0xffff) || (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0)) {
    const embedded = (g6 * 0x1_0000 + g7) >>> 0;
    return isPublicV4(embedded) ? { address: intToIpv4(embedded), v6: false } : NON_PUBLIC;
  }
  if (g0 === 0 && zero4 && g5 === 0 && g6 === 0 && (g7 === 0 || g7 === 1)) return NON_PUBLIC; // :: and ::1
  if ((g0 & 0xfe00) === 0xfc00) return NON_PUBLIC; // fc00::/7 unique local
  if ((g0 & 0xffc0) === 0xfe80) return NON_PUBLIC; // fe80::/10 link-local
  if ((g0 & 0xffc0) === 0xfec0) return NON_PUBLIC; // fec0::/10 deprecated site-local
  if ((g0 & 0xff00) === 0xff00) return NON_PUBLIC; // ff00::/8 multicast
  return { address: ip, v6: true };
}

function ipv4ToInt(ip: string): number {
  let value = 0;
  for (const octet of ip.split('.')) value = value * 256 + Number(octet);
  return value;
}

function intToIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

/** value/prefix pairs for IPv4 ranges that are never a public destination. */
const NON_PUBLIC_V4: ReadonlyArray<readonly [number, number]> = [
  [ipv4ToInt('0.0.0.0'), 8], // "this network"
  [ipv4ToInt('10.0.0.0'), 8], // RFC 1918
  [ipv4ToInt('100.64.0.0'), 10], // RFC 6598 carrier-grade NAT
  [ipv4ToInt('127.0.0.0'), 8], // loopback
  [ipv4ToInt('169.254.0.0'), 16], // link-local
  [ipv4ToInt('172.16.0.0'), 12], // RFC 1918
  [ipv4ToInt('192.168.0.0'), 16], // RFC 1918
  [ipv4ToInt('224.0.0.0'), 4], // multicast
  [ipv4ToInt('240.0.0.0'), 4], // reserved, incl. 255.255.255.255 broadcast
];

function isPublicV4(value: number): boolean {
  for (const [base, prefix] of NON_PUBLIC_V4) {
    // Unsigned compare of the top `prefix` bits; >>> 0 keeps the result non-negative.
    const mask = prefix === 0 ? 0 : (0xffff_ffff << (32 - prefix)) >>> 0;
    if (((value & mask) >>> 0) === base) return false;
  }
  return true;
}

/** Eight 16-bit groups of an address already validated by net.isIPv6 (no zone id). */
function ipv6Groups(ip: string): number[] {
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    // Trailing dotted quad (::ffff:1.2.3.4) = the last two groups.
    const v4 = ipv4ToInt(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const doubleColon = text.indexOf('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  if (doubleColon === -1) return parse(text);
  const head = parse(text.slice(0, doubleColon));
  const tailGroups = parse(text.slice(doubleColon + 2));
  return [...head, ...new Array<number>(8 - head.length - tailGroups.length).fill(0), ...tailGroups];
}
