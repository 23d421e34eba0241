import { describe, expect, it } from "@effect/vitest"
import { Either, Option } from "effect"
import fc from "fast-check"
import { canTransition, decideStatusUpdate, FINAL_STATUSES, type StatusUpdate } from "../../../core/epochs/machine.js"
import { type Epoch, type EpochId, MINER_STATUSES, type MinerStatusRecord } from "../../../core/epochs/model.js"
import { entry } from "../../support/epochs.js"

const START = Date.parse("2025-10-01T16:00:00.000Z")
const END = START + 4 * 3_600_000

const epoch: Epoch = {
  id: "2025-10-01T16-00-00" as EpochId,
  start: START,
  end: END,
  nonce: "376ce532f42cf2a5",
  targetListings: 1000,
  tolerancePercent: 10,
  zipcodes: [entry("19103", 500), entry("19104", 450)],
  totalExpectedListings: 950,
  selectionSeed: 1,
  algorithmVersion: "v1.0",
  createdAt: START
}

const status = fc.constantFrom(...MINER_STATUSES)
const update: fc.Arbitrary<StatusUpdate> = fc.record({
  hotkey: fc.constant("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"),
  nonce: fc.constant(epoch.nonce),
  status,
  listingsScraped: fc.option(fc.nat(5000), { nil: undefined }),
  zipcodesCompleted: fc.option(
    fc.array(fc.record({ zipcode: fc.constantFrom("19103", "19104"), listingsScraped: fc.nat(600), completedAt: fc.constant(null) })),
    { nil: undefined }
  ),
  s3UploadComplete: fc.option(fc.boolean(), { nil: undefined }),
  s3UploadTimestamp: fc.option(fc.integer({ min: START, max: END }), { nil: undefined })
})
const during = fc.integer({ min: START, max: END - 1 })

/** Apply a sequence of updates the way the store does: only accepted decisions are written. */
const run = (steps: ReadonlyArray<readonly [StatusUpdate, number]>) => {
  let current = Option.none<MinerStatusRecord>()
  const outcomes: Array<Either.Either<MinerStatusRecord, unknown>> = []
  for (const [u, now] of steps) {
    const d = decideStatusUpdate(epoch, current, u, now)
    outcomes.push(d)
    if (Either.isRight(d)) current = Option.some(d.right)
  }
  return { current, outcomes }
}

describe("miner status machine", () => {
  it("a final status (COMPLETED, TIMEOUT) never changes; everything else can move", () => {
    fc.assert(fc.property(fc.array(fc.tuple(update, during), { maxLength: 12 }), (steps) => {
      const { outcomes } = run(steps)
      let final: string | null = null
      steps.forEach(([u], i) => {
        const accepted = Either.isRight(outcomes[i]!)
        if (final === null) expect(accepted).toBe(true)
        else expect(accepted).toBe(u.status === final)
        if (accepted && FINAL_STATUSES.has(u.status)) final = u.status
      })
    }))
  })

  it("counts accepted updates and never forgets a completed upload", () => {
    fc.assert(fc.property(fc.array(fc.tuple(update, during), { minLength: 1, maxLength: 12 }), (steps) => {
      const { current, outcomes } = run(steps)
      const accepted = outcomes.filter(Either.isRight)
      expect(Option.getOrThrow(current).updates).toBe(accepted.length)
      let uploaded = false
      steps.forEach(([u], i) => {
        const o = outcomes[i]!
        if (Either.isLeft(o)) return
        uploaded ||= u.s3UploadComplete === true
        expect(o.right.s3UploadComplete).toBe(uploaded)
      })
    }))
  })

  it("rejects a wrong nonce, a passed deadline and zipcodes the epoch did not assign", () => {
    fc.assert(fc.property(update, during, fc.string({ minLength: 1 }), (u, now, nonce) => {
      fc.pre(nonce !== epoch.nonce)
      expect(decideStatusUpdate(epoch, Option.none(), { ...u, nonce }, now)).toMatchObject({ left: { _tag: "NonceMismatch" } })
      expect(decideStatusUpdate(epoch, Option.none(), u, END)).toMatchObject({ left: { _tag: "SubmissionClosed" } })
      const foreign = { ...u, zipcodesCompleted: [{ zipcode: "99999", listingsScraped: 1, completedAt: null }] }
      expect(decideStatusUpdate(epoch, Option.none(), foreign, now)).toMatchObject({ left: { _tag: "InvalidRequest" } })
    }))
  })

  it("lets a FAILED miner resume, and merges reported zipcodes", () => {
    const base = { hotkey: "h", nonce: epoch.nonce }
    const { current } = run([
      [{ ...base, status: "IN_PROGRESS", zipcodesCompleted: [{ zipcode: "19103", listingsScraped: 10, completedAt: null }] }, START + 1],
      [{ ...base, status: "FAILED" }, START + 2],
      [{ ...base, status: "IN_PROGRESS", zipcodesCompleted: [{ zipcode: "19103", listingsScraped: 240, completedAt: START + 3 }] }, START + 3],
      [{ ...base, status: "COMPLETED", listingsScraped: 690, s3UploadComplete: true, zipcodesCompleted: [{ zipcode: "19104", listingsScraped: 450, completedAt: START + 4 }] }, START + 4]
    ])
    expect(Option.getOrThrow(current)).toMatchObject({
      status: "COMPLETED",
      listingsScraped: 690,
      s3UploadComplete: true,
      updates: 4,
      createdAt: START + 1,
      updatedAt: START + 4,
      zipcodesCompleted: [
        { zipcode: "19103", listingsScraped: 240, completedAt: START + 3 },
        { zipcode: "19104", listingsScraped: 450, completedAt: START + 4 }
      ]
    })
    expect(canTransition(Option.some("COMPLETED"), "IN_PROGRESS")).toBe(false)
    expect(canTransition(Option.some("TIMEOUT"), "TIMEOUT")).toBe(true)
  })
})
