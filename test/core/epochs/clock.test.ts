import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import fc from "fast-check"
import { CLOCK_MAX, CLOCK_MIN, EPOCH_MS, epochAt, formatEpochId, nextEpoch, parseEpochId } from "../../../core/epochs/clock.js"

const instant = fc.integer({ min: CLOCK_MIN, max: CLOCK_MAX })

describe("epoch clock", () => {
  it("puts every instant in exactly one 4-hour epoch starting at 00/04/08/12/16/20 UTC", () => {
    fc.assert(fc.property(instant, fc.integer({ min: -3, max: 3 }), (t, k) => {
      const w = epochAt(t)
      expect(w.start).toBeLessThanOrEqual(t)
      expect(t).toBeLessThan(w.end)
      expect(w.end - w.start).toBe(EPOCH_MS)
      const d = new Date(w.start)
      expect([0, 4, 8, 12, 16, 20]).toContain(d.getUTCHours())
      expect(d.getUTCMinutes() + d.getUTCSeconds() + d.getUTCMilliseconds()).toBe(0)
      // Any other aligned window does not contain t.
      const other = w.start + k * EPOCH_MS
      if (k !== 0) expect(other <= t && t < other + EPOCH_MS).toBe(false)
    }))
  })

  it("names epochs like 2025-10-01T16-00-00 and parses the name back to the same window", () => {
    fc.assert(fc.property(instant, (t) => {
      const w = epochAt(t)
      expect(w.id).toMatch(/^\d{4}-\d{2}-\d{2}T(00|04|08|12|16|20)-00-00$/)
      expect(parseEpochId(w.id)).toEqual(Option.some(w))
      expect(new Date(w.start).toISOString().slice(0, 13).replace(":", "-")).toBe(w.id.slice(0, 13))
    }))
  })

  it("tiles time: consecutive epochs touch, and ids sort in time order", () => {
    fc.assert(fc.property(instant, instant, (a, b) => {
      const w = epochAt(a)
      if (w.end <= CLOCK_MAX) expect(nextEpoch(w).start).toBe(w.end)
      if (w.start > CLOCK_MIN) expect(epochAt(w.start - 1).end).toBe(w.start)
      const [x, y] = [epochAt(Math.min(a, b)), epochAt(Math.max(a, b))]
      expect(x.id <= y.id).toBe(true)
      expect(x.id === y.id).toBe(x.start === y.start)
    }))
  })

  it("matches the spec's example epoch", () => {
    const w = epochAt(Date.parse("2025-10-01T17:45:00.000Z"))
    expect(w).toEqual({
      id: "2025-10-01T16-00-00",
      start: Date.parse("2025-10-01T16:00:00.000Z"),
      end: Date.parse("2025-10-01T20:00:00.000Z")
    })
    expect(formatEpochId(Date.parse("2025-10-01T20:00:00.000Z"))).toBe("2025-10-01T20-00-00")
  })

  it("rejects malformed ids, off-boundary hours and impossible dates", () => {
    for (
      const bad of [
        "",
        "2025-10-01T16:00:00",
        "2025-10-01T15-00-00",
        "2025-10-01T16-30-00",
        "2025-02-30T00-00-00",
        "2025-13-01T00-00-00",
        "2025-10-01T24-00-00",
        "0099-01-01T00-00-00",
        "2025-10-01T16-00-00Z",
        " 2025-10-01T16-00-00"
      ]
    ) expect(parseEpochId(bad), bad).toEqual(Option.none())
    fc.assert(fc.property(fc.string(), (s) => {
      Option.map(parseEpochId(s), (w) => expect(w.id).toBe(s))
    }))
  })
})
