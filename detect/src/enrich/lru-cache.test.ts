import { describe, expect, it } from 'vitest';
import { LruCache } from './lru-cache.ts';

/** Reference model: Map insertion order as recency (slow, obviously right). */
class ModelLru<K, V> {
  readonly map = new Map<K, V>();
  constructor(readonly capacity: number) {}
  get(key: K): V | undefined {
    if (!this.map.has(key)) return undefined;
    const v = this.map.get(key) as V;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }
  set(key: K, value: V): void {
    if (this.capacity === 0) return;
    this.map.delete(key);
    if (this.map.size >= this.capacity) this.map.delete(this.map.keys().next().value as K);
    this.map.set(key, value);
  }
}

describe('LruCache', () => {
  it('evicts the least recently used key', () => {
    const lru = new LruCache<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1); // b is now the oldest
    lru.set('c', 3);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.get('c')).toBe(3);
    expect(lru.size).toBe(2);
  });

  it('updates an existing key in place and refreshes it', () => {
    const lru = new LruCache<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('a', 10);
    lru.set('c', 3); // evicts b, not a
    expect(lru.get('a')).toBe(10);
    expect(lru.get('b')).toBeUndefined();
  });

  it('stores null values as hits', () => {
    const lru = new LruCache<string, number | null>(1);
    lru.set('a', null);
    expect(lru.get('a')).toBeNull();
    lru.set('b', null);
    expect(lru.get('a')).toBeUndefined();
    expect(lru.get('b')).toBeNull();
  });

  it('stores nothing at capacity 0, and clear() empties it', () => {
    const none = new LruCache<string, number>(0);
    none.set('a', 1);
    expect(none.get('a')).toBeUndefined();
    const lru = new LruCache<string, number>(3);
    lru.set('a', 1);
    lru.clear();
    expect(lru.size).toBe(0);
    expect(lru.get('a')).toBeUndefined();
    lru.set('b', 2);
    expect(lru.get('b')).toBe(2);
    expect(() => new LruCache(-1)).toThrow(/capacity/);
    expect(() => new LruCache(1.5)).toThrow(/capacity/);
  });

  it.each([1, 2, 7, 64])('matches a reference model on a random workload (capacity %i)', (capacity) => {
    const lru = new LruCache<number, number>(capacity);
    const model = new ModelLru<number, number>(capacity);
    let seed = capacity;
    const rnd = () => (seed = (Math.imul(seed, 48271) >>> 0) % 2147483647) / 2147483647;
    for (let i = 0; i < 5_000; i++) {
      const key = Math.floor(rnd() * capacity * 3);
      if (rnd() < 0.5) {
        expect(lru.get(key)).toBe(model.get(key));
      } else {
        lru.set(key, i);
        model.set(key, i);
      }
      expect(lru.size).toBe(model.map.size);
    }
  });
});
