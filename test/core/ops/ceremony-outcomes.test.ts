import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { ceremonyOutcomes } from "../../../core/ops/ceremony-outcomes.js"
import { newCeremony } from "../../../core/signing/ceremony.machine.js"
import { CEREMONY_STEPS, type Ceremony, type CeremonyStatus, type StepStatus } from "../../../core/signing/model.js"

const ceremonyWith = (statuses: ReadonlyArray<StepStatus>, status: CeremonyStatus, startedAt = 0): Ceremony => {
  const started = newCeremony(true, startedAt)
  return { ...started, status, steps: started.steps.map((r, i) => ({ ...r, status: statuses[i]! })) }
}

const stepStatuses = fc.array(fc.constantFrom<StepStatus>("pending", "running", "completed", "failed"), {
  minLength: CEREMONY_STEPS.length,
  maxLength: CEREMONY_STEPS.length
})
const status = fc.constantFrom<CeremonyStatus>("running", "completed", "failed", "cancelled")

describe("ceremonyOutcomes", () => {
  it("counts each step ending once: replaying the same version reports nothing", () =>
    fc.assert(
      fc.property(stepStatuses, status, stepStatuses, status, (s1, c1, s2, c2) => {
        const a = ceremonyWith(s1, c1)
        const b = ceremonyWith(s2, c2)
        const { ceremony, steps } = ceremonyOutcomes(a, b)
        expect(steps.map((s) => s.step)).toEqual(
          CEREMONY_STEPS.filter((_, i) => (s2[i] === "completed" || s2[i] === "failed") && s1[i] !== s2[i])
        )
        for (const s of steps) expect(["completed", "failed"]).toContain(s.outcome)
        expect(ceremony).toBe(c2 !== "running" && c1 !== c2 ? c2 : null)
        expect(ceremonyOutcomes(b, b)).toEqual({ steps: [], ceremony: null })
      }),
      { numRuns: 1000 }
    ))

  it("summed along any path of versions, each step and the ceremony end at most once per final state", () =>
    fc.assert(
      fc.property(fc.array(fc.tuple(stepStatuses, status), { minLength: 1, maxLength: 8 }), (path) => {
        // A real ceremony only moves forward: keep each version's ended steps ended.
        let versions: Array<Ceremony> = []
        let prev: ReadonlyArray<StepStatus> = CEREMONY_STEPS.map(() => "pending")
        let done: CeremonyStatus | null = null
        for (const [s, c] of path) {
          const merged = s.map((x, i) => (prev[i] === "completed" || prev[i] === "failed" ? prev[i]! : x))
          done = done ?? (c === "running" ? null : c)
          versions = [...versions, ceremonyWith(merged, done ?? "running")]
          prev = merged
        }
        let before: Ceremony | null = null
        let stepCount = 0
        let ceremonies = 0
        for (const v of versions) {
          const o = ceremonyOutcomes(before, v)
          stepCount += o.steps.length
          ceremonies += o.ceremony === null ? 0 : 1
          before = v
        }
        expect(stepCount).toBe(prev.filter((x) => x === "completed" || x === "failed").length)
        expect(ceremonies).toBe(done === null ? 0 : 1)
      }),
      { numRuns: 1000 }
    ))

  it("no ceremony yet: nothing ended", () => {
    expect(ceremonyOutcomes(null, null)).toEqual({ steps: [], ceremony: null })
  })
})
