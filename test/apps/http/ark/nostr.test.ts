import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as nip59 from "nostr-tools/nip59"
import { finalizeEvent, generateSecretKey, getPublicKey } from "nostr-tools/pure"
import { bytesToHex } from "../../../../core/shared/hex.js"
import { eventually } from "../../../support/eventually.js"
import { request, startApp } from "../../../support/http-app.js"
import { startRelay } from "../../../support/nostr-relay.js"
import { makeWallet } from "../../../support/nostr-wallet.js"

const ADMIN = "s3cret-admin-key-for-tests"

const setup = (env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const relay = yield* startRelay()
    const key = generateSecretKey()
    const app = yield* startApp({ NOSTR_RELAYS: relay.url, NOSTR_PRIVATE_KEY: bytesToHex(key), ...env })
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      request(app.baseUrl, method, path, body, body === undefined ? { headers } : {
        body: JSON.stringify(body),
        headers: { "content-type": "application/json", ...headers }
      })
    return { relay, app, call, pubkey: getPublicKey(key) }
  })

describe("the Nostr helper routes", () => {
  it.scopedLive("status and relays report the in-process worker; without ADMIN_API_KEY the routes that act answer 404", () =>
    Effect.gen(function*() {
      const { call, pubkey, relay } = yield* setup()
      const status = yield* call("GET", "/nostr/status")
      expect(status.status).toBe(200)
      expect(status.body).toMatchObject({
        configured: true,
        running: true,
        pubkey,
        relays: { connected: 1, total: 1 },
        kinds: { intent: 31510, challenge: 31511, response: 31512, confirmation: 31340, failure: 31341 }
      })
      expect(status.body.npub).toMatch(/^npub1/)
      const relays = yield* call("GET", "/nostr/relays")
      expect(relays.body.relays[0]).toMatchObject({ url: relay.url, status: "connected", pending_publishes: 0 })
      for (const path of ["/nostr/start", "/nostr/stop", "/nostr/send-dm", "/nostr/publish-test"]) {
        const r = yield* call("POST", path, {}, { "x-admin-key": ADMIN })
        expect([path, r.status, r.body.code]).toEqual([path, 404, "NOT_FOUND"])
      }
      // An intent whose content was changed after signing: dropped, and counted under its reason.
      const signed = finalizeEvent({ kind: 31510, created_at: Math.floor(Date.now() / 1000), tags: [["d", "a"], ["p", pubkey]], content: "{}" }, generateSecretKey())
      yield* relay.inject({ ...signed, content: "{\"forged\":true}" })
      const counted = yield* eventually(
        call("GET", "/nostr/relays"),
        (r) => r.body.relays[0].dropped.invalid_signature === 1,
        "the forged intent counted"
      )
      expect(counted.body.relays[0]).toMatchObject({ invalid_events: 1, dropped: { inbox_full: 0, malformed: 0, duplicate: 0 } })
      const enc = yield* call("POST", "/nostr/test-encryption", { plaintext: "round trip ✓" })
      expect(enc.status).toBe(200)
      expect(enc.body).toMatchObject({ ok: true, algorithm: "nip44-v2", gateway_pubkey: pubkey, peer_decrypts: true, gateway_decrypts: true })
      expect(enc.body.ciphertext).not.toContain("round trip")
    }))

  it.scopedLive("with ADMIN_API_KEY: a wrong key is 401; stop, start, send-dm and publish-test do what they say", () =>
    Effect.gen(function*() {
      const { call, pubkey, relay } = yield* setup({ ADMIN_API_KEY: ADMIN })
      const admin = { "x-admin-key": ADMIN }
      for (const headers of [{}, { "x-admin-key": "wrong" }, { "x-admin-key": `${ADMIN}x` }]) {
        const r = yield* call("POST", "/nostr/stop", undefined, headers)
        expect([r.status, r.body.code]).toEqual([401, "UNAUTHORIZED"])
      }
      expect((yield* call("GET", "/nostr/status")).body.running).toBe(true)

      const stopped = yield* call("POST", "/nostr/stop", undefined, admin)
      expect(stopped.body).toMatchObject({ running: false, relays: { connected: 0, total: 0 } })
      const idle = yield* call("POST", "/nostr/send-dm", { recipient_pubkey: pubkey, content: "x" }, admin)
      expect([idle.status, idle.body.code]).toEqual([409, "NOSTR_NOT_RUNNING"])
      expect((yield* call("POST", "/nostr/test-encryption")).status).toBe(409)
      const started = yield* call("POST", "/nostr/start", undefined, admin)
      expect(started.body).toMatchObject({ running: true, relays: { connected: 1 } })

      const walletKey = generateSecretKey()
      const wallet = getPublicKey(walletKey)
      const dm = yield* call("POST", "/nostr/send-dm", { recipient_pubkey: wallet, content: "hello wallet" }, admin)
      expect(dm.status).toBe(200)
      expect(dm.body).toMatchObject({ kind: 14, recipient_pubkey: wallet, sent: true, accepted: [relay.url], rejected: [] })
      const [wrap] = yield* relay.query({ ids: [dm.body.wrap_id] })
      expect(wrap).toMatchObject({ kind: 1059, tags: [["p", wallet]] })
      expect(nip59.unwrapEvent(wrap as never, walletKey)).toMatchObject({ kind: 14, pubkey, content: "hello wallet", id: dm.body.rumor_id })

      const bad = yield* call("POST", "/nostr/send-dm", { recipient_pubkey: "nope", content: "x" }, admin)
      expect([bad.status, bad.body.code]).toEqual([400, "VALIDATION_ERROR"])
      const offCurve = yield* call("POST", "/nostr/send-dm", { recipient_pubkey: "f".repeat(64), content: "x" }, admin)
      expect([offCurve.status, offCurve.body.code]).toEqual([400, "VALIDATION_ERROR"])

      const a = yield* call("POST", "/nostr/publish-test", undefined, admin)
      const b = yield* call("POST", "/nostr/publish-test", { content: "second" }, admin)
      expect(a.body).toMatchObject({ kind: 30078, sent: true })
      expect(a.body.d).not.toBe(b.body.d)
      const stored = yield* relay.query({ kinds: [30078], authors: [pubkey] })
      expect(stored.map((e) => e.id).sort()).toEqual([a.body.event_id, b.body.event_id].sort())
      expect(stored.every((e) => e.tags.some((t) => t[0] === "expiration"))).toBe(true)
    }))

  it.scopedLive("without NOSTR_RELAYS the worker is reported unconfigured and cannot be started", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ ADMIN_API_KEY: ADMIN })
      const status = yield* request(app.baseUrl, "GET", "/nostr/status")
      expect(status.body).toMatchObject({ configured: false, running: false, pubkey: null })
      const start = yield* request(app.baseUrl, "POST", "/nostr/start", undefined, { headers: { "x-admin-key": ADMIN } })
      expect([start.status, start.body.code]).toEqual([503, "NOSTR_NOT_CONFIGURED"])
      expect((yield* request(app.baseUrl, "POST", "/nostr/test-encryption")).body.code).toBe("NOSTR_NOT_CONFIGURED")
    }))

  it.scopedLive("one process, one store: a transfer authorised over Nostr is the same session over HTTP", () =>
    Effect.gen(function*() {
      const { call, pubkey, relay } = yield* setup()
      const wallet = yield* makeWallet([relay.url])
      const to = getPublicKey(generateSecretKey())
      // Funded over HTTP where the app books transfers on its ledger (the route exists then).
      const minted = yield* call("POST", "/assets/BTC/mint", { user_pubkey: wallet.pubkey, amount: 50_000 })
      if (minted.status !== 404) expect(minted.status).toBeLessThan(300)
      yield* wallet.publishIntent(pubkey, { action_id: "over-nostr", intent: { recipient_pubkey: to, amount: 20_000, asset_id: "BTC" } })
      const challenge = yield* wallet.waitForDm((dm) => dm.kind === 31511, "challenge")
      const id = challenge.content.session_id
      expect((yield* call("GET", `/sessions/${id}`)).body).toMatchObject({ status: "challenge_sent", user_pubkey: wallet.pubkey })
      yield* wallet.sendDm(pubkey, 31512, {
        session_id: id,
        type: challenge.content.type,
        signature: wallet.signChallenge(challenge.content.payload_to_sign),
        payload_ref: challenge.content.payload_hash
      })
      yield* wallet.waitForPublic((e) => e.tags.some((t) => t[0] === "d" && t[1] === id), "31340")
      const session = yield* call("GET", `/sessions/${id}`)
      expect(session.body).toMatchObject({ status: "completed", result_data: { amount: 20_000, recipient_pubkey: to } })
      expect((yield* call("GET", `/signing/ceremony/${id}/status`)).body).toMatchObject({ status: "completed", completed_steps: 6 })
    }))
})
