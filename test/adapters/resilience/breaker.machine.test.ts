import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Machine from "../../../adapters/resilience/breaker.machine.js"

const settingsArb = fc.record({ failureThreshold: fc.integer({ min: 1, max: 6 }), coolDownMs: fc.integer({ min: 1, max: 10_000 }) })

/** One caller after another: wait `wait` ms, then call; the call succeeds or fails if admitted. */
const stepsArb = fc.array(fc.record({ wait: fc.nat(4_000), ok: fc.boolean() }), { maxLength: 80 })

describe("circuit breaker machine", () => {
  it("sequential callers: admitted exactly when the spec says (N straight failures open it; one probe per cool-down; a success closes it)", () =>
    fc.assert(
      fc.property(settingsArb, stepsArb, (settings, steps) => {
        let state = Machine.closed
        let now = 0
        // The spec, stated on the history: failures since the last success, and when the last counted failure happened.
        let failuresSinceSuccess = 0
        let lastFailureAt = 0
        for (const step of steps) {
          now += step.wait
          const [admission, next] = Machine.admit(state, now, settings)
          const open = failuresSinceSuccess >= settings.failureThreshold
          const expected = !open ? "call" : now - lastFailureAt >= settings.coolDownMs ? "probe" : "reject"
          expect(admission).toBe(expected)
          state = next
          if (admission === "reject") {
            expect(Machine.retryInMs(state, now, settings)).toBe(lastFailureAt + settings.coolDownMs - now)
            continue
          }
          if (step.ok) {
            state = Machine.succeeded(state)
            failuresSinceSuccess = 0
          } else {
            state = Machine.failed(state, admission, now, settings)
            failuresSinceSuccess += 1
            lastFailureAt = now
          }
          expect(state._tag).toBe(failuresSinceSuccess >= settings.failureThreshold ? "Open" : "Closed")
        }
      }),
      { numRuns: 1_000 }
    ))

  type Op = { readonly _tag: "start"; readonly wait: number } | { readonly _tag: "finish"; readonly which: number; readonly outcome: "ok" | "fail" | "interrupted" }
  const opsArb: fc.Arbitrary<Array<Op>> = fc.array(
    fc.oneof(
      fc.record({ _tag: fc.constant("start" as const), wait: fc.nat(3_000) }),
      fc.record({ _tag: fc.constant("finish" as const), which: fc.nat(), outcome: fc.constantFrom("ok" as const, "fail" as const, "interrupted" as const) })
    ),
    { maxLength: 120 }
  )

  it("overlapping calls: half-open admits nothing more, closed never refuses, a success always closes, an interrupted probe lets the next caller probe", () =>
    fc.assert(
      fc.property(settingsArb, opsArb, (settings, ops) => {
        let state = Machine.closed
        let now = 0
        const inFlight: Array<Machine.Admission> = []
        for (const op of ops) {
          if (op._tag === "start") {
            now += op.wait
            const before = state
            const [admission, next] = Machine.admit(state, now, settings)
            if (before._tag === "Closed") expect(admission).toBe("call")
            if (before._tag === "HalfOpen") expect(admission).toBe("reject")
            state = next
            if (admission !== "reject") inFlight.push(admission)
          } else if (inFlight.length > 0) {
            const [admission] = inFlight.splice(op.which % inFlight.length, 1)
            if (op.outcome === "ok") {
              state = Machine.succeeded(state)
              expect(state).toEqual(Machine.closed)
            } else if (op.outcome === "fail") {
              const before = state
              state = Machine.failed(state, admission!, now, settings)
              if (admission === "probe") expect(state).toEqual({ _tag: "Open", openedAt: now })
              if (before._tag === "Open") expect(state).toEqual(before)
            } else {
              state = Machine.abandoned(state, admission!)
              if (admission === "probe" && state._tag === "Open") expect(Machine.admit(state, now, settings)[0]).toBe("probe")
            }
          }
          // Half-open means the one probe is out (a straggler's success may close the breaker under it, which is fine).
          if (state._tag === "HalfOpen") expect(inFlight.filter((a) => a === "probe").length).toBeGreaterThanOrEqual(1)
          if (state._tag === "Closed") expect(state.failures).toBeLessThan(settings.failureThreshold)
        }
      }),
      { numRuns: 1_000 }
    ))
})
