import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { Commitments } from "../../../../core/epochs/commitments.js"
import { devPair, signHex } from "../../../support/epochs.js"
import { request, startApp } from "../../../support/http-app.js"

const KEY = "admin-key-for-epochs-tests-0123456789"
const T0 = Date.parse("2025-10-01T17:00:00.000Z")
const miner = devPair("//AdminEpochsMiner")

const admin = (baseUrl: string, key = KEY) => request(baseUrl, "GET", "/admin/epochs/current", undefined, { headers: { "x-admin-key": key } })

describe("GET /admin/epochs/current", () => {
  it.scoped("is 404 without ADMIN_API_KEY and 401 with a missing or wrong key", () =>
    Effect.gen(function*() {
      const closed = yield* startApp()
      expect((yield* admin(closed.baseUrl)).status).toBe(404)
      const app = yield* startApp({ ADMIN_API_KEY: KEY })
      const missing = yield* request(app.baseUrl, "GET", "/admin/epochs/current")
      expect(missing.status).toBe(401)
      expect(missing.body).toMatchObject({ code: "UNAUTHORIZED" })
      expect((yield* admin(app.baseUrl, `${KEY}x`)).status).toBe(401)
    }), { timeout: 60_000 })

  it.scoped("shows the epoch the miners get, without its nonce, and a miner once it reports through the signed route", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const app = yield* startApp({ ADMIN_API_KEY: KEY, EPOCH_SECRET: "admin-epochs-secret" })

      const before = yield* admin(app.baseUrl)
      expect(before.status).toBe(200)
      expect(before.body).toMatchObject({
        epoch_id: "2025-10-01T16-00-00",
        starts_at: "2025-10-01T16:00:00.000Z",
        ends_at: "2025-10-01T20:00:00.000Z",
        assigned: true,
        miners: []
      })
      expect(JSON.stringify(before.body)).not.toMatch(/nonce/i)

      const timestamp = Math.floor(T0 / 1000)
      const q = new URLSearchParams({ hotkey: miner.address, signature: signHex(miner, Commitments.currentAssignment(timestamp)), timestamp: String(timestamp) })
      const assigned = yield* request(app.baseUrl, "GET", `/api/v1/zipcode-assignments/current?${q}`)
      expect(assigned.status).toBe(200)
      const minerZips = (assigned.body.zipcodes as Array<Record<string, unknown>>).map((z) => ({
        zipcode: z["zipcode"],
        state: z["state"],
        city: z["city"],
        expectedListings: z["expectedListings"],
        marketTier: z["marketTier"]
      }))
      expect(minerZips.length).toBeGreaterThan(0)
      expect(before.body.zipcodes).toEqual(minerZips)
      expect(JSON.stringify(before.body)).not.toContain(assigned.body.nonce)

      const first = minerZips[0]!.zipcode as string
      const status = yield* request(app.baseUrl, "POST", "/api/v1/zipcode-assignments/status", {
        hotkey: miner.address,
        signature: signHex(miner, Commitments.minerStatus(miner.address, assigned.body.epochId, timestamp)),
        timestamp,
        epochId: assigned.body.epochId,
        nonce: assigned.body.nonce,
        status: "IN_PROGRESS",
        listingsScraped: 42,
        zipcodesCompleted: [{ zipcode: first, listingsScraped: 42 }]
      })
      expect(status.status, JSON.stringify(status.body)).toBeLessThan(300)

      const after = yield* admin(app.baseUrl)
      expect(after.status).toBe(200)
      expect(after.body.zipcodes).toEqual(before.body.zipcodes)
      expect(after.body.miners).toEqual([{
        hotkey: miner.address,
        status: "IN_PROGRESS",
        listingsScraped: 42,
        zipcodesCompleted: 1,
        updated_at: "2025-10-01T17:00:00.000Z"
      }])
    }), { timeout: 60_000 })
})
