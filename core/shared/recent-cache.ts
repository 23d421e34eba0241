/**
 * The latest entries of a map, bounded: two generations, the older dropped
 * whole when the newer fills, so between `size` and twice `size` of the most
 * recently set or read entries are kept. Every call is O(1). Dropping the
 * oldest key of one Map (`keys().next()`) is not: V8 leaves a deleted slot at
 * the front of the table for every eviction, and each later eviction walks
 * past them until the table is rebuilt.
 */
export interface RecentCache<K, V> {
  readonly get: (key: K) => V | undefined
  readonly has: (key: K) => boolean
  readonly set: (key: K, value: V) => void
}

export const recentCache = <K, V>(size: number): RecentCache<K, V> => {
  let current = new Map<K, V>()
  let previous = new Map<K, V>()
  const set = (key: K, value: V) => {
    if (current.size >= size) {
      previous = current
      current = new Map()
    }
    current.set(key, value)
  }
  return {
    get: (key) => {
      const hit = current.get(key)
      if (hit !== undefined) return hit
      const old = previous.get(key)
      // Read again: it moves to the newer generation, so what is in use outlives what is not.
      if (old !== undefined) set(key, old)
      return old
    },
    has: (key) => current.has(key) || previous.has(key),
    set
  }
}
