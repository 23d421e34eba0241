import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { runExample } from "../support/examples.js"
import { startApp } from "../support/http-app.js"

describe("examples/gateway-client.ts", () => {
  it.scopedLive("drives a running gateway through the typed client: the transfer lands, a forged signature is a typed InvalidSignature", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      const result = yield* runExample("gateway-client.ts", { RELAYGATE_URL: app.baseUrl })
      expect(result).toEqual({
        status: "completed",
        ark_txid: expect.stringMatching(/^[0-9a-f]{64}$/),
        sender: { available: 40_000, reserved: 0 },
        recipient: { available: 10_000, reserved: 0 },
        forged_signature: expect.stringMatching(/^InvalidSignature: /)
      })
    }), 180_000)
})
