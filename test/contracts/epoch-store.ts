import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, type Layer, Option } from "effect"
import type { Epoch, EpochId, MinerStatusRecord } from "../../core/epochs/model.js"
import type { StoreUnavailable } from "../../core/shared/errors.js"
import { EpochStore } from "../../ports/epoch-store.js"
import { entry } from "../support/epochs.js"

const H = 4 * 3_600_000
const T0 = Date.parse("2025-10-01T00:00:00.000Z")

const sampleEpoch = (k: number, overrides: Partial<Epoch> = {}): Epoch => {
  const start = T0 + k * H
  return {
    id: new Date(start).toISOString().slice(0, 19).replace(/:/g, "-") as EpochId,
    start,
    end: start + H,
    nonce: `nonce${k}`.padEnd(16, "0"),
    targetListings: 10_000,
    tolerancePercent: 10,
    zipcodes: [entry("19103", 1200), entry(String(10000 + k), 900, "EMERGING", { county: null })],
    totalExpectedListings: 2100,
    selectionSeed: 12345 + k,
    algorithmVersion: "v1.0",
    createdAt: start + 1,
    ...overrides
  }
}

const record = (hotkey: string, epochId: string, updates: number, now: number): MinerStatusRecord => ({
  hotkey,
  epochId,
  status: "IN_PROGRESS",
  listingsScraped: updates * 10,
  zipcodesCompleted: [{ zipcode: "19103", listingsScraped: 5, completedAt: null }],
  s3UploadComplete: false,
  s3UploadTimestamp: null,
  updates,
  createdAt: now,
  updatedAt: now
})

/** The behaviour every EpochStore adapter must have; each adapter's test calls this. */
export const epochStoreContract = (name: string, layer: Layer.Layer<EpochStore, StoreUnavailable>) =>
  describe(`EpochStore contract: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, EpochStore>) => Effect.provide(effect, layer)

    it.effect("claim stores a new epoch once; later claims of the id return the stored one", () =>
      run(Effect.gen(function*() {
        const store = yield* EpochStore
        const first = sampleEpoch(0)
        expect(yield* store.claim(first)).toEqual({ epoch: first, created: true })
        expect(yield* store.claim(sampleEpoch(0, { nonce: "ffffffffffffffff" }))).toEqual({ epoch: first, created: false })
        expect(yield* store.get(first.id)).toEqual(Option.some(first))
        expect(yield* store.get("2030-01-01T00-00-00")).toEqual(Option.none())
      })))

    it.effect("concurrent first claims: exactly one is created and everyone gets it", () =>
      run(Effect.gen(function*() {
        const store = yield* EpochStore
        const results = yield* Effect.all(
          Array.from({ length: 30 }, (_, i) => store.claim(sampleEpoch(1, { nonce: String(i).padStart(16, "0") }))),
          { concurrency: "unbounded" }
        )
        expect(results.filter((r) => r.created)).toHaveLength(1)
        const winner = results.find((r) => r.created)!.epoch
        for (const r of results) expect(r.epoch).toEqual(winner)
      })))

    it.effect("list filters on start (exclusive bounds), newest first, with a limit", () =>
      run(Effect.gen(function*() {
        const store = yield* EpochStore
        for (const k of [3, 0, 5, 1, 4, 2]) yield* store.claim(sampleEpoch(k))
        const starts = (es: ReadonlyArray<Epoch>) => es.map((e) => (e.start - T0) / H)
        expect(starts(yield* store.list({}))).toEqual([5, 4, 3, 2, 1, 0])
        expect(starts(yield* store.list({ startAfter: T0 + H, startBefore: T0 + 4 * H }))).toEqual([3, 2])
        expect(starts(yield* store.list({ startBefore: T0 + 5 * H, limit: 2 }))).toEqual([4, 3])
      })))

    it.effect("updateMinerStatus applies the decision per (hotkey, epoch); a failed one writes nothing", () =>
      run(Effect.gen(function*() {
        const store = yield* EpochStore
        const seen: Array<Option.Option<MinerStatusRecord>> = []
        const bump = (hotkey: string, epochId: string) =>
          store.updateMinerStatus(hotkey, epochId, (cur) => {
            seen.push(cur)
            return Either.right(record(hotkey, epochId, Option.match(cur, { onNone: () => 1, onSome: (c) => c.updates + 1 }), 7))
          })
        expect((yield* bump("A", "e1")).updates).toBe(1)
        expect((yield* bump("A", "e1")).updates).toBe(2)
        expect((yield* bump("A", "e2")).updates).toBe(1)
        expect((yield* bump("B", "e1")).updates).toBe(1)
        expect(seen[1]).toEqual(Option.some(record("A", "e1", 1, 7)))
        const err = yield* store.updateMinerStatus("A", "e1", () => Either.left("nope" as const)).pipe(Effect.flip)
        expect(err).toBe("nope")
        expect((yield* bump("A", "e1")).updates).toBe(3)
        // A pair whose only decision failed has no record to list.
        expect(yield* store.updateMinerStatus("C", "e1", () => Either.left("nope" as const)).pipe(Effect.flip)).toBe("nope")
        expect(yield* store.minerStatuses("e1")).toEqual([record("A", "e1", 3, 7), record("B", "e1", 1, 7)])
        expect(yield* store.minerStatuses("e2")).toEqual([record("A", "e2", 1, 7)])
        expect(yield* store.minerStatuses("e3")).toEqual([])
      })))

    it.effect("concurrent status updates are serialized", () =>
      run(Effect.gen(function*() {
        const store = yield* EpochStore
        const bump = store.updateMinerStatus("A", "e1", (cur) =>
          Either.right(record("A", "e1", Option.match(cur, { onNone: () => 1, onSome: (c) => c.updates + 1 }), 1)))
        const results = yield* Effect.all(Array.from({ length: 40 }, () => bump), { concurrency: "unbounded" })
        expect(results.map((r) => r.updates).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
      })))
  })
