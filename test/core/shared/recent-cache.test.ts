import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { recentCache } from "../../../core/shared/recent-cache.js"

describe("a recent cache", () => {
  it("keeps at least the last `size` keys set or read, with their latest values, and never more than twice `size`", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.array(fc.tuple(fc.constantFrom("set", "get"), fc.integer({ min: 0, max: 60 }), fc.integer()), { maxLength: 300 }),
      (size, ops) => {
        const cache = recentCache<number, number>(size)
        const model = new Map<number, number>()
        const touched: Array<number> = []
        for (const [op, key, value] of ops) {
          if (op === "set") {
            cache.set(key, value)
            model.set(key, value)
            touched.push(key)
          } else {
            const got = cache.get(key)
            // Whatever it answers is the latest value set for that key.
            if (got !== undefined) expect(got).toBe(model.get(key))
            if (got !== undefined) touched.push(key)
          }
        }
        const recent = [...new Set(touched.reverse())].slice(0, size)
        for (const key of recent) expect(cache.get(key)).toBe(model.get(key))
        expect([...model.keys()].filter((k) => cache.has(k)).length).toBeLessThanOrEqual(2 * size)
      }
    ))
  })

  it("keeps a key that is read all along, however many others come and go", () => {
    const cache = recentCache<string, number>(2)
    cache.set("hot", 1)
    for (let i = 0; i < 50; i++) {
      cache.set(`cold-${i}`, i)
      expect(cache.get("hot")).toBe(1)
    }
    expect(cache.has("cold-0")).toBe(false)
  })
})
