import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { layer, makeInspectable } from "../../../adapters/memory/replay-guard.js"
import { replayGuardContract } from "../../contracts/replay-guard.js"

replayGuardContract("memory", layer)

describe("memory replay guard", () => {
  it.effect("purges expired keys: memory follows the live keys, not every key ever claimed", () =>
    Effect.gen(function*() {
      const { guard, size } = yield* makeInspectable
      let peak = 0
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 2000; i++) expect(yield* guard.claim(`r${round}-k${i}`, 1000)).toBe(true)
        peak = Math.max(peak, yield* size)
        yield* TestClock.adjust(2000)
      }
      // 20 000 claims, at most 2 000 live at a time.
      expect(peak).toBeLessThanOrEqual(2 * 2000 + 1024)
    }))
})
