import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, type Layer, Ref, type Scope } from "effect"
import { LeaderLock } from "../../ports/leader-lock.js"

/** Polls until `check` holds (live clock), failing the test after `ms`. */
export const eventually = <E, R>(check: Effect.Effect<boolean, E, R>, ms = 5_000) =>
  Effect.gen(function*() {
    const start = Date.now()
    while (!(yield* check)) {
      if (Date.now() - start > ms) return yield* Effect.dieMessage(`condition not met within ${ms} ms`)
      yield* Effect.sleep("20 millis")
    }
  })

/** A job that records who runs it and how many run at once, and runs until interrupted. */
const tracked = (runs: Ref.Ref<ReadonlyArray<string>>, active: Ref.Ref<number>, peak: Ref.Ref<number>, who: string) =>
  Effect.gen(function*() {
    yield* Ref.update(runs, (xs) => [...xs, who])
    const now = yield* Ref.updateAndGet(active, (n) => n + 1)
    yield* Ref.update(peak, (p) => Math.max(p, now))
    yield* Effect.never
  }).pipe(Effect.ensuring(Ref.update(active, (n) => n - 1)))

/**
 * The behaviour every LeaderLock adapter must have; each adapter's test calls
 * this. Two `lead` calls on one instance stand for two replicas (each call
 * competes on its own). Runs on the live clock: locks expire in real time.
 */
export const leaderLockContract = <E>(name: string, layer: Layer.Layer<LeaderLock, E>) =>
  describe(`LeaderLock contract: ${name}`, () => {
    const run = <A, E2>(effect: Effect.Effect<A, E2, LeaderLock | Scope.Scope>) => Effect.scoped(Effect.provide(effect, layer))

    it.live("two contenders never run one job at once, and one of them runs it", () =>
      run(Effect.gen(function*() {
        const lock = yield* LeaderLock
        const [runs, active, peak] = [yield* Ref.make<ReadonlyArray<string>>([]), yield* Ref.make(0), yield* Ref.make(0)]
        yield* Effect.forkScoped(lock.lead("sweep", tracked(runs, active, peak, "a")))
        yield* Effect.forkScoped(lock.lead("sweep", tracked(runs, active, peak, "b")))
        yield* eventually(Effect.map(Ref.get(runs), (xs) => xs.length > 0))
        yield* Effect.sleep("500 millis")
        expect(yield* Ref.get(peak)).toBe(1)
        expect(yield* Ref.get(runs)).toHaveLength(1)
      })))

    it.live("the job moves to the other contender when its runner stops", () =>
      run(Effect.gen(function*() {
        const lock = yield* LeaderLock
        const [runs, active, peak] = [yield* Ref.make<ReadonlyArray<string>>([]), yield* Ref.make(0), yield* Ref.make(0)]
        const a = yield* Effect.fork(lock.lead("settle", tracked(runs, active, peak, "a")))
        yield* eventually(Effect.map(Ref.get(runs), (xs) => xs.includes("a")))
        yield* Effect.forkScoped(lock.lead("settle", tracked(runs, active, peak, "b")))
        yield* Effect.sleep("200 millis")
        expect(yield* Ref.get(runs)).toEqual(["a"])
        yield* Fiber.interrupt(a)
        yield* eventually(Effect.map(Ref.get(runs), (xs) => xs.includes("b")))
        expect(yield* Ref.get(peak)).toBe(1)
      })))

    it.live("different jobs are led independently", () =>
      run(Effect.gen(function*() {
        const lock = yield* LeaderLock
        const [runs, active, peak] = [yield* Ref.make<ReadonlyArray<string>>([]), yield* Ref.make(0), yield* Ref.make(0)]
        yield* Effect.forkScoped(lock.lead("expiry", tracked(runs, active, peak, "expiry")))
        yield* Effect.forkScoped(lock.lead("rollover", tracked(runs, active, peak, "rollover")))
        yield* eventually(Effect.map(Ref.get(runs), (xs) => xs.length === 2))
        expect(yield* Ref.get(active)).toBe(2)
      })))

    it.live("a job that fails runs again", () =>
      run(Effect.gen(function*() {
        const lock = yield* LeaderLock
        const attempts = yield* Ref.make(0)
        yield* Effect.forkScoped(lock.lead("flaky", Effect.zipRight(Ref.update(attempts, (n) => n + 1), Effect.fail("boom"))))
        yield* eventually(Effect.map(Ref.get(attempts), (n) => n >= 2))
      })))
  })
