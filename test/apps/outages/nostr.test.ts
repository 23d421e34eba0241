import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { generateSecretKey, getPublicKey } from "nostr-tools/pure"
import { bytesToHex } from "../../../core/shared/hex.js"
import { request, startApp } from "../../support/http-app.js"
import { startRelay } from "../../support/nostr-relay.js"

/*
 * The relay the in-process Nostr worker uses goes away and comes back on the
 * same URL (with an empty store, as a relay restarted without persistence).
 * Real time: the relay connection's backoff and publish timeouts are sockets.
 */

const ADMIN = "outage-test-admin-key-0123456789"
const sleep = (ms: number) => Effect.promise(() => new Promise((r) => setTimeout(r, ms)))

const until = <A>(read: Effect.Effect<A>, done: (a: A) => boolean) =>
  Effect.gen(function*() {
    const started = Date.now()
    while (Date.now() - started < 20_000) {
      const a = yield* read
      if (done(a)) return a
      yield* sleep(100)
    }
    return yield* Effect.dieMessage(`condition never held; last: ${JSON.stringify(yield* read).slice(0, 400)}`)
  })

describe("Nostr relay outage", () => {
  it.scopedLive("an event published while the relay is away is kept and delivered when it is back; the HTTP app keeps working meanwhile", () =>
    Effect.gen(function*() {
      const relay = yield* startRelay()
      const key = generateSecretKey()
      const app = yield* startApp({ NOSTR_RELAYS: relay.url, NOSTR_PRIVATE_KEY: bytesToHex(key), ADMIN_API_KEY: ADMIN })
      const admin = { "x-admin-key": ADMIN, "content-type": "application/json" }
      const call = (method: string, path: string, body?: unknown) =>
        request(app.baseUrl, method, path, body, body === undefined ? { headers: admin } : { body: JSON.stringify(body), headers: admin })
      const relays = call("GET", "/nostr/relays").pipe(Effect.map((r) => r.body.relays[0]))
      yield* until(relays, (r) => r.status === "connected")

      yield* relay.stop
      yield* until(relays, (r) => r.status !== "connected")
      const sent = yield* call("POST", "/nostr/publish-test", { content: "during the outage" })
      expect(sent.status).toBe(200)
      expect(sent.body).toMatchObject({ sent: false })
      expect((yield* relays).pending_publishes).toBe(1)

      // What does not need the relay is untouched.
      const u = getPublicKey(generateSecretKey())
      expect((yield* call("POST", "/assets/BTC/mint", { user_pubkey: u, amount: 1_000 })).status).toBe(200)
      expect((yield* call("GET", "/health")).status).toBe(200)

      const back = yield* startRelay(relay.port)
      const stored = yield* until(back.query({ ids: [sent.body.event_id] }), (es) => es.length === 1)
      expect(stored[0]!.content).toBe("during the outage")
      yield* until(relays, (r) => r.status === "connected" && r.pending_publishes === 0)
      const after = yield* call("POST", "/nostr/publish-test", { content: "after" })
      expect(after.body).toMatchObject({ sent: true })
    }), 120_000)
})
