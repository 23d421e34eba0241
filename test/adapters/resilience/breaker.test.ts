import { describe, expect, it } from "@effect/vitest"
import { Data, Effect, Either, Fiber, Logger, Ref, TestClock } from "effect"
import * as Breaker from "../../../adapters/resilience/breaker.js"

class Down extends Data.TaggedError("Down")<{ readonly reason: string }> {}
class Refused extends Data.TaggedError("Refused")<{}> {}

const settings = { failureThreshold: 3, coolDownMs: 10_000 }
const options = { onOpen: (o: Breaker.BreakerOpen) => new Down({ reason: o.message }), isOutage: (e: Down | Refused) => e._tag === "Down" }

/** A dependency whose health the test switches, counting the calls that reached it. */
const dependency = Effect.gen(function*() {
  const up = yield* Ref.make(true)
  const reached = yield* Ref.make(0)
  const call = Effect.gen(function*() {
    yield* Ref.update(reached, (n) => n + 1)
    if (!(yield* Ref.get(up))) return yield* new Down({ reason: "connection refused" })
    return "pong"
  })
  return { up, reached, call }
})

const captureLogs = Effect.gen(function*() {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => lines.push(`${logLevel.label} ${String(Array.isArray(message) ? message.join(" ") : message)}`))
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
})

describe("Breaker.guard", () => {
  it.effect("opens after 3 straight outages, refuses without calling, probes once after the cool-down, closes when the dependency is back", () =>
    Effect.gen(function*() {
      const { layer, lines } = yield* captureLogs
      yield* Effect.gen(function*() {
        const dep = yield* dependency
        const breaker = yield* Breaker.make("arkd", settings)
        yield* Ref.set(dep.up, false)
        for (let i = 0; i < 20; i++) yield* Effect.either(breaker.guard(dep.call, options))
        expect(yield* Ref.get(dep.reached)).toBe(3)
        expect(yield* breaker.snapshot).toEqual({ dependency: "arkd", state: "open", consecutiveFailures: 3, retryInMs: 10_000 })
        const refused = yield* Effect.either(breaker.guard(dep.call, options))
        expect(Either.getLeft(refused).pipe((l) => l._tag === "Some" ? l.value : undefined)).toMatchObject({ _tag: "Down", reason: "arkd is failing; circuit open, next attempt in 10 s" })

        // Still down at the first probe: one call reaches it, then another full cool-down.
        yield* TestClock.adjust("10 seconds")
        yield* Effect.either(breaker.guard(dep.call, options))
        yield* Effect.either(breaker.guard(dep.call, options))
        expect(yield* Ref.get(dep.reached)).toBe(4)
        expect((yield* breaker.snapshot).state).toBe("open")

        yield* Ref.set(dep.up, true)
        yield* TestClock.adjust("9 seconds")
        expect(Either.isLeft(yield* Effect.either(breaker.guard(dep.call, options)))).toBe(true)
        yield* TestClock.adjust("1 second")
        expect(yield* breaker.guard(dep.call, options)).toBe("pong")
        expect(yield* breaker.guard(dep.call, options)).toBe("pong")
        expect((yield* breaker.snapshot).state).toBe("closed")
        expect(yield* Ref.get(dep.reached)).toBe(6)
      }).pipe(Effect.provide(layer))
      // One line when it went away and one when it came back, not one per failed call.
      expect(lines.filter((l) => l.includes("arkd"))).toEqual(["WARN arkd unavailable; circuit open", "INFO arkd is back; circuit closed"])
    }))

  it.effect("a refusal is an answer: any number of them leaves the breaker closed", () =>
    Effect.gen(function*() {
      const breaker = yield* Breaker.make("lnd", settings)
      for (let i = 0; i < 10; i++) yield* Effect.either(breaker.guard(Effect.fail(new Refused()), options))
      expect((yield* breaker.snapshot).state).toBe("closed")
      expect(yield* breaker.guard(Effect.succeed(1), options)).toBe(1)
    }))

  it.effect("an interrupted probe does not leave the breaker half-open: the next caller probes", () =>
    Effect.gen(function*() {
      const breaker = yield* Breaker.make("tapd", { failureThreshold: 1, coolDownMs: 1_000 })
      yield* Effect.either(breaker.guard(Effect.fail(new Down({ reason: "x" })), options))
      yield* TestClock.adjust("1 second")
      const hung = yield* Effect.fork(breaker.guard(Effect.never, options))
      yield* Effect.yieldNow()
      expect((yield* breaker.snapshot).state).toBe("half_open")
      expect(Either.isLeft(yield* Effect.either(breaker.guard(Effect.succeed(1), options)))).toBe(true)
      yield* Fiber.interrupt(hung)
      expect(yield* breaker.guard(Effect.succeed(2), options)).toBe(2)
    }))

  it.effect("the registry lists every registered breaker with its state", () =>
    Effect.gen(function*() {
      const registry = yield* Breaker.registry
      const redis = yield* Breaker.registered("redis", settings).pipe(Effect.provideService(Breaker.Breakers, registry))
      yield* Breaker.registered("mariadb", settings).pipe(Effect.provideService(Breaker.Breakers, registry))
      for (let i = 0; i < 3; i++) yield* Effect.either(redis.guard(Effect.fail(new Down({ reason: "x" })), options))
      expect(yield* registry.all).toEqual([
        { dependency: "redis", state: "open", consecutiveFailures: 3, retryInMs: 10_000 },
        { dependency: "mariadb", state: "closed", consecutiveFailures: 0, retryInMs: 0 }
      ])
    }))
})
