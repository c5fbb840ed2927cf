// A small MaxMind DB (MMDB v2.0) writer for tests.
//
// WHY: the real GeoLite2 databases are licence-gated and far too large to commit, and the public
// test databases do not hold the answers our tests want to assert. Tests therefore build tiny
// databases with known answers. Written from the MaxMind DB File Format Specification v2.0:
//
//   [ binary search tree ][ 16 zero bytes ][ data section ][ "\xAB\xCD\xEFMaxMind.com" ][ metadata map ]
//
// Scope is deliberately narrow: no data-section pointers (identical records are de-duplicated by
// their encoded bytes instead), no IPv4-mapped/6to4 aliases in the tree (readers that need those
// normalise the address themselves), one record per network with "most specific prefix wins".

import { isIP } from 'node:net';
import { writeFile } from 'node:fs/promises';

export interface MmdbEntry {
  /** CIDR, e.g. '203.0.113.0/24' or '2001:db8::/32'. Host bits must be zero. */
  network: string;
  /** The record returned for every address in `network`. Keys become MMDB map keys. */
  data: Record<string, unknown>;
}

export interface MmdbWriteOptions {
  /** Metadata `database_type`, e.g. 'GeoLite2-ASN'. */
  databaseType?: string;
  /** 6 (default): IPv6 tree, IPv4 networks stored in ::/96 as MaxMind does. 4: IPv4-only tree. */
  ipVersion?: 4 | 6;
  /** Bits per search-tree record; default: the smallest that can address the file. */
  recordSize?: 24 | 28 | 32;
  description?: Record<string, string>;
  languages?: string[];
  /**
   * Seconds since the epoch. Defaults to a fixed instant so the same entries always give the same
   * bytes; it must not be 0, which libmaxminddb rejects as "missing build_epoch".
   */
  buildEpoch?: number;
}

type MmdbScalarType = 'uint16' | 'uint32' | 'uint64' | 'uint128' | 'int32' | 'float' | 'double';

/**
 * Forces an exact MMDB wire type. Plain JS numbers are encoded as uint32 / int32 / uint64 /
 * double by value; wrap one in this when a test needs, e.g., a uint16 or a float.
 */
export class MmdbTyped {
  constructor(
    readonly type: MmdbScalarType,
    readonly value: number | bigint,
  ) {}
}

// Data-section type numbers from the spec.
const T_STRING = 2;
const T_DOUBLE = 3;
const T_BYTES = 4;
const T_UINT16 = 5;
const T_UINT32 = 6;
const T_MAP = 7;
const T_INT32 = 8;
const T_UINT64 = 9;
const T_UINT128 = 10;
const T_ARRAY = 11;
const T_BOOLEAN = 14;
const T_FLOAT = 15;

const METADATA_MARKER = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com', 'ascii')]);
const DATA_SECTION_SEPARATOR = Buffer.alloc(16);

/** Builds an MMDB file image in memory. */
export function buildMmdb(entries: readonly MmdbEntry[], opts: MmdbWriteOptions = {}): Buffer {
  const ipVersion = opts.ipVersion ?? 6;

  // Data records, de-duplicated by their encoded bytes so repeated answers share one record
  // (real databases do the same; it also keeps record values small).
  const dataChunks: Buffer[] = [];
  const dataOffsets: number[] = [];
  const offsetByEncoding = new Map<string, number>();
  let dataLength = 0;
  const dataIndexOf = (data: Record<string, unknown>): number => {
    const encoded = encodeValue(data, 'data');
    const key = encoded.toString('latin1');
    const known = offsetByEncoding.get(key);
    if (known !== undefined) return known;
    const index = dataOffsets.length;
    dataOffsets.push(dataLength);
    dataChunks.push(encoded);
    dataLength += encoded.length;
    offsetByEncoding.set(key, index);
    return index;
  };

  // Insert shorter prefixes first so a more specific network always overrides the part of a
  // broader one it covers, whatever order the caller listed them in.
  const parsed = entries
    .map((entry, order) => ({ entry, order, ...parseNetwork(entry.network, ipVersion) }))
    .sort((a, b) => a.prefixLength - b.prefixLength || a.order - b.order);

  const root: TrieNode = { children: [null, null] };
  for (const { entry, bytes, prefixLength } of parsed) {
    insert(root, bytes, prefixLength, dataIndexOf(entry.data));
  }

  // Number nodes breadth-first; the root must be node 0.
  const order: TrieNode[] = [];
  const numberOf = new Map<TrieNode, number>();
  for (let i = 0, queue: TrieNode[] = [root]; i < queue.length; i++) {
    const node = queue[i]!;
    numberOf.set(node, order.length);
    order.push(node);
    for (const child of node.children) if (child !== null && typeof child !== 'number') queue.push(child);
  }
  const nodeCount = order.length;

  const recordValue = (child: TrieChild): number => {
    if (child === null) return nodeCount; // "no data for this address"
    if (typeof child === 'number') return nodeCount + DATA_SECTION_SEPARATOR.length + dataOffsets[child]!;
    return numberOf.get(child)!;
  };

  const maxRecord = nodeCount + DATA_SECTION_SEPARATOR.length + dataLength;
  const recordSize = opts.recordSize ?? (maxRecord < 2 ** 24 ? 24 : maxRecord < 2 ** 28 ? 28 : 32);
  if (maxRecord >= 2 ** recordSize) {
    throw new Error(`mmdb-writer: record size ${recordSize} cannot address ${maxRecord}`);
  }
  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  order.forEach((node, n) => {
    writeNode(tree, n * nodeBytes, recordSize, recordValue(node.children[0]), recordValue(node.children[1]));
  });

  const metadata: Record<string, unknown> = {
    node_count: new MmdbTyped('uint32', nodeCount),
    record_size: new MmdbTyped('uint16', recordSize),
    ip_version: new MmdbTyped('uint16', ipVersion),
    database_type: opts.databaseType ?? 'Test-DB',
    languages: opts.languages ?? ['en'],
    binary_format_major_version: new MmdbTyped('uint16', 2),
    binary_format_minor_version: new MmdbTyped('uint16', 0),
    build_epoch: new MmdbTyped('uint64', BigInt(opts.buildEpoch ?? 1_700_000_000)),
    description: opts.description ?? { en: 'shadow-ai-watch test database' },
  };

  return Buffer.concat([tree, DATA_SECTION_SEPARATOR, ...dataChunks, METADATA_MARKER, encodeValue(metadata, 'metadata')]);
}

/** Builds an MMDB and writes it to `path`. */
export async function writeMmdb(path: string, entries: readonly MmdbEntry[], opts: MmdbWriteOptions = {}): Promise<void> {
  await writeFile(path, buildMmdb(entries, opts));
}

// ---------------------------------------------------------------------------------------------
// Search tree

/** A child is another node, a data-record index, or null for "no data". */
type TrieChild = TrieNode | number | null;
interface TrieNode {
  children: [TrieChild, TrieChild];
}

function bitAt(bytes: Uint8Array, index: number): 0 | 1 {
  return ((bytes[index >> 3]! >> (7 - (index & 7))) & 1) as 0 | 1;
}

function insert(root: TrieNode, bytes: Uint8Array, prefixLength: number, dataIndex: number): void {
  if (prefixLength === 0) {
    root.children = [dataIndex, dataIndex];
    return;
  }
  let node = root;
  for (let depth = 0; depth < prefixLength - 1; depth++) {
    const bit = bitAt(bytes, depth);
    let child = node.children[bit];
    if (child === null || typeof child === 'number') {
      // Split an empty or broader leaf: both halves keep the broader answer, then we descend.
      const split: TrieNode = { children: [child, child] };
      node.children[bit] = split;
      child = split;
    }
    node = child;
  }
  // Sorted insertion means anything already below this point is broader, so replacing it is right.
  node.children[bitAt(bytes, prefixLength - 1)] = dataIndex;
}

function writeNode(buf: Buffer, offset: number, recordSize: 24 | 28 | 32, left: number, right: number): void {
  if (recordSize === 24) {
    buf.writeUIntBE(left, offset, 3);
    buf.writeUIntBE(right, offset + 3, 3);
  } else if (recordSize === 28) {
    // The high nibble of each record shares the middle byte: | left 23..0 | L27..24 R27..24 | right 23..0 |
    buf.writeUIntBE(left & 0xffffff, offset, 3);
    buf[offset + 3] = (((left >>> 24) & 0x0f) << 4) | ((right >>> 24) & 0x0f);
    buf.writeUIntBE(right & 0xffffff, offset + 4, 3);
  } else {
    buf.writeUInt32BE(left, offset);
    buf.writeUInt32BE(right, offset + 4);
  }
}

// ---------------------------------------------------------------------------------------------
// Networks

function parseNetwork(network: string, ipVersion: 4 | 6): { bytes: Uint8Array; prefixLength: number } {
  const slash = network.indexOf('/');
  const address = slash === -1 ? network : network.slice(0, slash);
  const prefixText = slash === -1 ? undefined : network.slice(slash + 1);
  const family = isIP(address);
  if (family === 0) throw new Error(`mmdb-writer: invalid network address in '${network}'`);
  const maxPrefix = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? '0') || !Number.isInteger(prefix) || prefix > maxPrefix) {
    throw new Error(`mmdb-writer: invalid prefix length in '${network}'`);
  }
  const raw = family === 4 ? parseIPv4(address) : parseIPv6(address);
  for (let bit = prefix; bit < maxPrefix; bit++) {
    if (bitAt(raw, bit) === 1) throw new Error(`mmdb-writer: '${network}' has host bits set`);
  }
  if (ipVersion === 4) {
    if (family !== 4) throw new Error(`mmdb-writer: IPv6 network '${network}' in an IPv4 database`);
    return { bytes: raw, prefixLength: prefix };
  }
  if (family === 6) return { bytes: raw, prefixLength: prefix };
  // IPv4 in an IPv6 tree lives at ::a.b.c.d, i.e. under the first 96 zero bits.
  const bytes = new Uint8Array(16);
  bytes.set(raw, 12);
  return { bytes, prefixLength: 96 + prefix };
}

function parseIPv4(address: string): Uint8Array {
  return Uint8Array.from(address.split('.').map(Number));
}

function parseIPv6(address: string): Uint8Array {
  let text = address;
  const groups: number[] = [];
  // A trailing dotted quad (::ffff:1.2.3.4) is two 16-bit groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = parseIPv4(tail);
    text = `${text.slice(0, lastColon + 1)}${(((a! << 8) | b!) >>> 0).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':').map((g) => parseInt(g, 16));
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':').map((g) => parseInt(g, 16));
  groups.push(...headGroups);
  if (rest !== undefined) groups.push(...new Array<number>(8 - headGroups.length - restGroups.length).fill(0));
  groups.push(...restGroups);
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Data section encoding

/** Control byte(s): 3 type bits (0 = extended, type-7 in the next byte) + 5 size bits (+ size bytes). */
function controlBytes(type: number, size: number): Buffer {
  const head: number[] = [];
  const sizeBytes: number[] = [];
  let sizeBits: number;
  if (size < 29) {
    sizeBits = size;
  } else if (size < 29 + 256) {
    sizeBits = 29;
    sizeBytes.push(size - 29);
  } else if (size < 285 + 65_536) {
    sizeBits = 30;
    const v = size - 285;
    sizeBytes.push(v >> 8, v & 0xff);
  } else if (size < 65_821 + 16_777_216) {
    sizeBits = 31;
    const v = size - 65_821;
    sizeBytes.push(v >> 16, (v >> 8) & 0xff, v & 0xff);
  } else {
    throw new Error(`mmdb-writer: payload of ${size} is too large`);
  }
  if (type <= 7) {
    head.push((type << 5) | sizeBits);
  } else {
    head.push(sizeBits, type - 7);
  }
  return Buffer.from([...head, ...sizeBytes]);
}

function field(type: number, payload: Buffer, size = payload.length): Buffer {
  return Buffer.concat([controlBytes(type, size), payload]);
}

/** Big-endian unsigned integer in the fewest bytes (0 -> zero bytes, as the spec allows). */
function unsignedBytes(value: bigint, maxBytes: number, what: string): Buffer {
  if (value < 0n || value >= 1n << BigInt(maxBytes * 8)) throw new Error(`mmdb-writer: ${what} out of range: ${value}`);
  const out: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) out.unshift(Number(v & 0xffn));
  return Buffer.from(out);
}

function encodeTyped(typed: MmdbTyped, path: string): Buffer {
  const { type, value } = typed;
  const big = (): bigint => {
    if (typeof value === 'bigint') return value;
    if (!Number.isSafeInteger(value)) throw new Error(`mmdb-writer: ${path} must be an integer for ${type}`);
    return BigInt(value);
  };
  switch (type) {
    case 'uint16':
      return field(T_UINT16, unsignedBytes(big(), 2, path));
    case 'uint32':
      return field(T_UINT32, unsignedBytes(big(), 4, path));
    case 'uint64':
      return field(T_UINT64, unsignedBytes(big(), 8, path));
    case 'uint128':
      return field(T_UINT128, unsignedBytes(big(), 16, path));
    case 'int32': {
      const v = big();
      if (v < -(2n ** 31n) || v >= 2n ** 31n) throw new Error(`mmdb-writer: ${path} out of int32 range`);
      // Negative values need all four bytes for the sign bit; positive ones may be shortened.
      if (v >= 0n) return field(T_INT32, unsignedBytes(v, 4, path));
      const payload = Buffer.alloc(4);
      payload.writeInt32BE(Number(v));
      return field(T_INT32, payload);
    }
    case 'float': {
      const payload = Buffer.alloc(4);
      payload.writeFloatBE(Number(value));
      return field(T_FLOAT, payload);
    }
    case 'double': {
      const payload = Buffer.alloc(8);
      payload.writeDoubleBE(Number(value));
      return field(T_DOUBLE, payload);
    }
  }
}

function encodeValue(value: unknown, path: string): Buffer {
  if (value instanceof MmdbTyped) return encodeTyped(value, path);
  if (typeof value === 'string') return field(T_STRING, Buffer.from(value, 'utf8'));
  if (typeof value === 'boolean') return controlBytes(T_BOOLEAN, value ? 1 : 0); // no payload
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff) return encodeTyped(new MmdbTyped('uint32', value), path);
    if (Number.isInteger(value) && value < 0 && value >= -(2 ** 31)) return encodeTyped(new MmdbTyped('int32', value), path);
    if (Number.isSafeInteger(value) && value > 0) return encodeTyped(new MmdbTyped('uint64', value), path);
    return encodeTyped(new MmdbTyped('double', value), path);
  }
  if (typeof value === 'bigint') {
    return encodeTyped(new MmdbTyped(value < 1n << 64n ? 'uint64' : 'uint128', value), path);
  }
  if (value instanceof Uint8Array) return field(T_BYTES, Buffer.from(value));
  if (Array.isArray(value)) {
    const items = value.map((item: unknown, i) => encodeValue(item, `${path}[${i}]`));
    return Buffer.concat([controlBytes(T_ARRAY, items.length), ...items]);
  }
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const pairs = Object.entries(value);
    const parts = pairs.flatMap(([k, v]) => [encodeValue(k, path), encodeValue(v, `${path}.${k}`)]);
    // A map's size is its number of pairs, not its byte length.
    return Buffer.concat([controlBytes(T_MAP, pairs.length), ...parts]);
  }
  throw new TypeError(`mmdb-writer: cannot encode ${path} (${value === null ? 'null' : typeof value})`);
}
