import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import { hotFn } from "../../../core/shared/hot-fn.js"

const spanName = Effect.map(Effect.option(Effect.currentSpan), Option.map((s) => s.name))

const halve = hotFn("Numbers.halve")(function*(n: number) {
  if (n % 2 !== 0) return yield* Effect.fail(`odd: ${n}`)
  return { half: n / 2, span: yield* spanName }
})

describe("hotFn", () => {
  it.effect("with tracing on, runs its body in a span of its name, as Effect.fn does", () =>
    Effect.gen(function*() {
      expect(yield* halve(8)).toEqual({ half: 4, span: Option.some("Numbers.halve") })
      expect(yield* Effect.either(halve(3))).toEqual(Either.left("odd: 3"))
    }))

  it.effect("with tracing off, runs the same body to the same answers without a span", () =>
    Effect.gen(function*() {
      expect(yield* halve(8)).toEqual({ half: 4, span: Option.none() })
      expect(yield* Effect.either(halve(3))).toEqual(Either.left("odd: 3"))
    }).pipe(Effect.withTracerEnabled(false)))
})
