// A bounded least-recently-used cache: Map<key, slot> plus a doubly linked recency list kept in
// parallel arrays indexed by slot.
//
// WHY not the usual "Map insertion order + delete/re-insert on hit": in V8 every delete leaves a
// tombstone and the table keeps rehashing, which measured ~20x slower than a plain Map.get on a
// 50k-entry hot set. Here a hit is one Map.get plus a few array writes; the Map only changes on a
// miss. Slots are reused after eviction, so memory stays bounded by `capacity`.

const NONE = -1;

export class LruCache<K, V> {
  private readonly index = new Map<K, number>();
  private readonly keys: K[] = [];
  private readonly values: V[] = [];
  private readonly prev: number[] = [];
  private readonly next: number[] = [];
  /** Most recently used slot. */
  private head = NONE;
  /** Least recently used slot: the next to be evicted. */
  private tail = NONE;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new Error(`LruCache capacity must be a non-negative integer, got ${capacity}`);
    }
  }

  get size(): number {
    return this.index.size;
  }

  /** The cached value (marking it most recently used), or undefined when absent. */
  get(key: K): V | undefined {
    const slot = this.index.get(key);
    if (slot === undefined) return undefined;
    this.moveToHead(slot);
    return this.values[slot];
  }

  set(key: K, value: V): void {
    if (this.capacity === 0) return;
    const existing = this.index.get(key);
    if (existing !== undefined) {
      this.values[existing] = value;
      this.moveToHead(existing);
      return;
    }
    let slot: number;
    if (this.index.size < this.capacity) {
      slot = this.keys.length;
      this.keys.push(key);
      this.values.push(value);
      this.prev.push(NONE);
      this.next.push(NONE);
    } else {
      // Reuse the least recently used slot.
      slot = this.tail;
      this.index.delete(this.keys[slot]!);
      this.unlink(slot);
      this.keys[slot] = key;
      this.values[slot] = value;
    }
    this.index.set(key, slot);
    this.linkAtHead(slot);
  }

  clear(): void {
    this.index.clear();
    this.keys.length = 0;
    this.values.length = 0;
    this.prev.length = 0;
    this.next.length = 0;
    this.head = NONE;
    this.tail = NONE;
  }

  private moveToHead(slot: number): void {
    if (slot === this.head) return;
    this.unlink(slot);
    this.linkAtHead(slot);
  }

  private unlink(slot: number): void {
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p === NONE) this.head = n;
    else this.next[p] = n;
    if (n === NONE) this.tail = p;
    else this.prev[n] = p;
    this.prev[slot] = NONE;
    this.next[slot] = NONE;
  }

  private linkAtHead(slot: number): void {
    this.prev[slot] = NONE;
    this.next[slot] = this.head;
    if (this.head !== NONE) this.prev[this.head] = slot;
    this.head = slot;
    if (this.tail === NONE) this.tail = slot;
  }
}
