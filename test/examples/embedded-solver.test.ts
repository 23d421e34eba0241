import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { runExample } from "../support/examples.js"

describe("examples/embedded-solver.ts", () => {
  it.live("moves 10 000 sats from sender to recipient through a signed ceremony, all in-process", () =>
    Effect.gen(function*() {
      const result = yield* runExample("embedded-solver.ts")
      expect(result).toEqual({
        status: "completed",
        ark_txid: expect.stringMatching(/^[0-9a-f]{64}$/),
        sender: { available: 40_000, reserved: 0 },
        recipient: { available: 10_000, reserved: 0 }
      })
    }), 180_000)
})
