import { describe, expect, it } from "@effect/vitest"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Either } from "effect"
import { makeDemo, makeFile, parseCatalogue } from "../../../adapters/file/zipcodes.js"
import { MARKET_TIERS } from "../../../core/epochs/model.js"
import { selectZipcodes, toleranceBounds } from "../../../core/epochs/selection.js"

const dir = mkdtempSync(join(tmpdir(), "relaygate-zipcodes-"))
const write = (name: string, content: string) => {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

describe("zipcode catalogue files", () => {
  it.effect("the bundled demo catalogue is valid, spans all tiers and can fill an epoch at the spec's target", () =>
    Effect.gen(function*() {
      const entries = yield* (yield* makeDemo).entries()
      expect(entries.length).toBeGreaterThanOrEqual(50)
      for (const tier of MARKET_TIERS) expect(entries.some((e) => e.marketTier === tier)).toBe(true)
      const selectable = entries.filter((e) => e.expectedListings >= 200 && e.expectedListings <= 3000)
      expect(selectable.length / entries.length).toBeGreaterThan(0.8)
      const params = { targetListings: 10_000, tolerancePercent: 10, minListings: 200, maxListings: 3000 }
      const sel = selectZipcodes(entries, new Set(), params, 12345)
      const [lower, upper] = toleranceBounds(params)
      expect(sel.totalExpectedListings).toBeGreaterThanOrEqual(lower)
      expect(sel.totalExpectedListings).toBeLessThanOrEqual(upper)
    }))

  it.effect("loads ZIPCODES_FILE; county may be missing or null", () =>
    Effect.gen(function*() {
      const path = write("ok.json", JSON.stringify([
        { zipcode: "19103", state: "PA", city: "Philadelphia", county: "Philadelphia County", marketTier: "PREMIUM", geographicRegion: "Northeast", expectedListings: 250 },
        { zipcode: "08540", state: "NJ", city: "Princeton", marketTier: "STANDARD", geographicRegion: "Northeast", expectedListings: 310 }
      ]))
      const entries = yield* (yield* makeFile(path)).entries()
      expect(entries.map((e) => [e.zipcode, e.county])).toEqual([["19103", "Philadelphia County"], ["08540", null]])
    }))

  it.effect("refuses to start on a missing file, bad JSON, bad rows or duplicate zipcodes, naming the problem", () =>
    Effect.gen(function*() {
      const fail = (path: string) => makeFile(path).pipe(Effect.flip, Effect.map((e) => e.message))
      expect(yield* fail(join(dir, "missing.json"))).toContain("cannot be read")
      expect(yield* fail(write("bad.json", "[{"))).toContain("not valid JSON")
      const badRow = yield* fail(write("row.json", JSON.stringify([{ zipcode: "1910", state: "PA", city: "X", marketTier: "LUXURY", geographicRegion: "NE", expectedListings: -1 }])))
      expect(badRow).toContain("zipcode")
      expect(badRow).toContain("marketTier")
      expect(badRow).toContain("expectedListings")
      const row = { state: "PA", city: "X", county: null, marketTier: "STANDARD", geographicRegion: "NE", expectedListings: 300 }
      expect(Either.getLeft(parseCatalogue([{ zipcode: "19103", ...row }, { zipcode: "19103", ...row }]))).toEqual(
        Either.getLeft(Either.left("duplicate zipcodes: 19103"))
      )
    }))
})
