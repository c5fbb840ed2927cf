// A bounded least-recently-used cache on top of Map's insertion order.
//
// WHY not a dependency: the enricher needs only get/set/size, and Map already keeps keys in
// insertion order, so "touch" = delete + re-insert and "evict" = drop the first key. That is O(1)
// and allocation-free on hits, which matters on the per-event hot path.

export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new Error(`LruCache capacity must be a non-negative integer, got ${capacity}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached value (refreshing its recency), or undefined when absent. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    // `undefined` is never stored (see set), so this distinguishes a miss from a cached null.
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    if (this.capacity === 0 || value === undefined) return;
    if (this.entries.has(key)) {
      this.entries.delete(key);
    } else if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, value);
  }

  clear(): void {
    this.entries.clear();
  }
}
