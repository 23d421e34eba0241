import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { generateSecretKey, getPublicKey } from "nostr-tools/pure"
import { request, startApp } from "../../../support/http-app.js"

describe("VTXO assignment under concurrency, over HTTP", () => {
  it.scoped("200 concurrent /vtxos/assign against 100 VTXOs: each VTXO goes to one request, the other 100 get a clear 409", () =>
    Effect.gen(function*() {
      // 200 sockets from one client: lift the per-IP cap (64 by default), which limits.test.ts covers.
      const app = yield* startApp({ MAX_CONNECTIONS_PER_IP: "0" })
      const call = (method: string, path: string, body?: unknown) => request(app.baseUrl, method, path, body)
      yield* call("POST", "/assets", { asset_id: "gBTC", name: "Gateway BTC", ticker: "gBTC" })
      const batch = yield* call("POST", "/vtxos/batch/create", { asset_id: "gBTC", count: 100, amount_sats: 100_000 })
      const minted = new Set<string>(batch.body.vtxos.map((v: { vtxo_id: string }) => v.vtxo_id))
      expect(minted.size).toBe(100)

      const users = Array.from({ length: 200 }, () => getPublicKey(generateSecretKey()))
      const responses = yield* Effect.all(
        users.map((user_pubkey) => call("POST", "/vtxos/assign", { user_pubkey, asset_id: "gBTC", amount_needed: 50_000 })),
        { concurrency: "unbounded" }
      )

      const won = responses.filter((r) => r.status === 200)
      const lost = responses.filter((r) => r.status !== 200)
      expect(won).toHaveLength(100)
      const ids = won.map((r) => r.body.vtxo_id as string)
      expect(new Set(ids).size).toBe(100)
      for (const id of ids) expect(minted.has(id)).toBe(true)
      expect(lost).toHaveLength(100)
      for (const r of lost) {
        expect(r.status).toBe(409)
        expect(r.body).toMatchObject({ code: "NO_VTXO_AVAILABLE", asset_id: "gBTC", amount_needed: 50_000 })
        expect(typeof r.body.error).toBe("string")
      }
      // The books agree: every VTXO assigned once, to the user whose request won it.
      expect((yield* call("GET", "/vtxos/inventory/gBTC")).body).toMatchObject({ available: 0, assigned: 100 })
      for (const r of won.slice(0, 10)) {
        const owned = (yield* call("GET", `/vtxos/user/${r.body.user_pubkey}`)).body
        expect(owned.vtxos.map((v: { vtxo_id: string }) => v.vtxo_id)).toEqual([r.body.vtxo_id])
      }
    }))
})
