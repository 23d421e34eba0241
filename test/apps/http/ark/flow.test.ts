import { describe, expect, it } from "@effect/vitest"
import { schnorr } from "@noble/curves/secp256k1.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import { Context, Effect, TestClock } from "effect"
import { nip19 } from "nostr-tools"
import { generateSecretKey, getPublicKey } from "nostr-tools/pure"
import { ArkServerSimulator } from "../../../../adapters/memory/ark-server.js"
import { ArkServer } from "../../../../ports/ark-server.js"
import { eventually } from "../../../support/eventually.js"
import { request, startApp } from "../../../support/http-app.js"

/** A wallet: a real Nostr key that signs challenges the way the spec says. */
const wallet = () => {
  const sk = generateSecretKey()
  const pubkey = getPublicKey(sk)
  return {
    pubkey,
    npub: nip19.npubEncode(pubkey),
    sign: (challengeData: string) => bytesToHex(schnorr.sign(sha256(new TextEncoder().encode(challengeData)), sk))
  }
}

const sleep = (ms: number) => Effect.promise(() => new Promise((r) => setTimeout(r, ms)))

const setup = Effect.gen(function*() {
  const app = yield* startApp()
  const call = (method: string, path: string, body?: unknown) => request(app.baseUrl, method, path, body)
  const sender = wallet()
  const recipient = wallet()
  // The ceremony moves ledger balances: the sender needs BTC first (minted over HTTP, as an operator would).
  const minted = yield* call("POST", "/assets/BTC/mint", { user_pubkey: sender.pubkey, amount: 1_000_000 })
  expect(minted.status).toBe(200)
  const balance = (pubkey: string) => call("GET", `/balances/${pubkey}/BTC`).pipe(Effect.map((r) => r.body))
  const create = (intent: Record<string, unknown> = {}) =>
    call("POST", "/sessions/create", {
      user_pubkey: sender.pubkey,
      session_type: "p2p_transfer",
      intent_data: { recipient_pubkey: recipient.pubkey, amount: 10000, asset_id: "BTC", ...intent }
    })
  /** create → challenge → sign → respond; returns the session id. */
  const authorised = Effect.gen(function*() {
    const created = yield* create()
    const id = created.body.session_id as string
    const challenge = yield* call("POST", `/sessions/${id}/challenge`)
    const respond = yield* call("POST", `/sessions/${id}/respond`, {
      signature: sender.sign(challenge.body.challenge_data),
      user_pubkey: sender.pubkey
    })
    expect(respond.status).toBe(200)
    return id
  })
  const waitForCeremony = (id: string) =>
    eventually(call("GET", `/signing/ceremony/${id}/status`), (s) => s.body.status !== "running", `ceremony ${id} finished`)
  return { app, call, sender, recipient, create, authorised, waitForCeremony, balance }
})

describe("ark signing over HTTP (workflow 1)", () => {
  it.scoped("create → challenge → sign → respond → ceremony → completed, and the recipient owns the new VTXO", () =>
    Effect.gen(function*() {
      const { app, balance, call, create, recipient, sender, waitForCeremony } = yield* setup
      const created = yield* create()
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({ status: "initiated", user_pubkey: sender.pubkey, session_type: "p2p_transfer" })
      const id = created.body.session_id

      const challenge = yield* call("POST", `/sessions/${id}/challenge`)
      expect(challenge.status).toBe(201)
      const bound = JSON.parse(challenge.body.challenge_data)
      expect(bound).toMatchObject({ session_id: id, user_pubkey: sender.pubkey, domain: "relaygate/ark-challenge/v1" })
      expect(bound.gateway_pubkey).toBe((yield* call("GET", "/")).body.gateway_pubkey)
      expect(challenge.body.message_hash).toBe(bytesToHex(sha256(new TextEncoder().encode(challenge.body.challenge_data))))
      expect(challenge.body.context).toContain("10000 BTC")

      const respond = yield* call("POST", `/sessions/${id}/respond`, {
        signature: sender.sign(challenge.body.challenge_data),
        user_pubkey: sender.pubkey
      })
      expect(respond.status).toBe(200)
      expect(respond.body).toMatchObject({ status: "awaiting_signature", verified: true })

      const started = yield* call("POST", "/signing/ceremony/start", { session_id: id })
      expect(started.status).toBe(202)
      const done = yield* waitForCeremony(id)
      expect(done.body).toMatchObject({ status: "completed", session_status: "completed", completed_steps: 6, progress_percent: 100 })
      expect(done.body.ark_txid).toMatch(/^[0-9a-f]{64}$/)

      const session = yield* call("GET", `/sessions/${id}`)
      expect(session.body.status).toBe("completed")
      expect(session.body.result_data).toMatchObject({ ark_txid: done.body.ark_txid, amount: 10000, recipient_pubkey: recipient.pubkey })
      expect(typeof session.body.signed_tx).toBe("string")

      // The transfer really happened on the (simulated) Ark server.
      const owned = yield* Context.get(app.context, ArkServer).listVtxos(recipient.pubkey)
      expect(owned.map((v) => [v.txid, v.amount])).toEqual([[done.body.ark_txid, 10000n]])
      // And in the ledger, exactly once: polling the finished ceremony moves nothing more.
      yield* call("GET", `/signing/ceremony/${id}/status`)
      expect(yield* balance(sender.pubkey)).toMatchObject({ balance: 990_000, reserved_balance: 0, available_balance: 990_000 })
      expect(yield* balance(recipient.pubkey)).toMatchObject({ balance: 10_000, reserved_balance: 0 })
    }))

  it.scoped("an unfunded sender's ceremony fails at intent verification and changes no balance", () =>
    Effect.gen(function*() {
      const { call, recipient, waitForCeremony, balance } = yield* setup
      const poor = wallet()
      const created = yield* call("POST", "/sessions/create", {
        user_pubkey: poor.pubkey,
        session_type: "p2p_transfer",
        intent_data: { recipient_pubkey: recipient.pubkey, amount: 10000, asset_id: "BTC" }
      })
      const id = created.body.session_id
      const challenge = yield* call("POST", `/sessions/${id}/challenge`)
      yield* call("POST", `/sessions/${id}/respond`, { signature: poor.sign(challenge.body.challenge_data) })
      const inventoryBefore = (yield* call("GET", "/vtxos/inventory/BTC")).body
      yield* call("POST", "/signing/ceremony/start", { session_id: id })
      const done = yield* waitForCeremony(id)
      expect(done.body).toMatchObject({ status: "failed", session_status: "failed", completed_steps: 0 })
      expect(done.body.error).toContain("Insufficient BTC balance: 0 available, 10000 requested")
      expect(yield* balance(poor.pubkey)).toMatchObject({ balance: 0, reserved_balance: 0 })
      expect(yield* balance(recipient.pubkey)).toMatchObject({ balance: 0, reserved_balance: 0 })
      // No VTXO was taken for it either.
      expect((yield* call("GET", "/vtxos/inventory/BTC")).body).toEqual(inventoryBefore)
    }))

  it.scoped("accepts an npub as user_pubkey and recipient", () =>
    Effect.gen(function*() {
      const { call, sender, recipient } = yield* setup
      const created = yield* call("POST", "/sessions/create", {
        user_pubkey: sender.npub,
        session_type: "p2p_transfer",
        intent_data: { recipient_pubkey: recipient.npub, amount: 5000, asset_id: "BTC" }
      })
      expect(created.status).toBe(201)
      expect(created.body.user_pubkey).toBe(sender.pubkey)
      expect(created.body.intent_data.recipient_pubkey).toBe(recipient.pubkey)
    }))

  it.scoped("step by step: steps run only in order, then the session completes", () =>
    Effect.gen(function*() {
      const { call, authorised } = yield* setup
      const id = yield* authorised
      const started = yield* call("POST", "/signing/ceremony/start", { session_id: id, auto_execute: false })
      expect(started.body).toMatchObject({ status: "running", current_step: 1, current_step_name: "intent_verification" })
      const early = yield* call("POST", `/signing/ceremony/${id}/step/3`)
      expect(early.status).toBe(409)
      expect(early.body).toMatchObject({ code: "STEP_OUT_OF_ORDER", requested: 3, expected: 1 })
      for (let step = 1; step <= 6; step++) {
        const r = yield* call("POST", `/signing/ceremony/${id}/step/${step}`)
        expect(r.status).toBe(200)
        expect(r.body.completed_steps).toBe(step)
      }
      expect((yield* call("GET", `/sessions/${id}`)).body.status).toBe("completed")
      const again = yield* call("POST", `/signing/ceremony/${id}/step/6`)
      expect(again.status).toBe(409)
      expect((yield* call("POST", `/signing/ceremony/${id}/step/7`)).status).toBe(400)
    }))

  it.scoped("a bad signature is 401 and the third one fails the session", () =>
    Effect.gen(function*() {
      const { call, create } = yield* setup
      const id = (yield* create()).body.session_id
      const challenge = yield* call("POST", `/sessions/${id}/challenge`)
      const forger = wallet()
      const forged = forger.sign(challenge.body.challenge_data)
      const first = yield* call("POST", `/sessions/${id}/respond`, { signature: forged })
      expect(first.status).toBe(401)
      expect(first.body).toMatchObject({ code: "INVALID_SIGNATURE", attempts_left: 2 })
      expect(typeof first.body.error).toBe("string")
      yield* call("POST", `/sessions/${id}/respond`, { signature: forged })
      const third = yield* call("POST", `/sessions/${id}/respond`, { signature: forged })
      expect(third.body).toMatchObject({ code: "INVALID_SIGNATURE", attempts_left: 0 })
      const session = yield* call("GET", `/sessions/${id}`)
      expect(session.body).toMatchObject({ status: "failed", failed_attempts: 3 })
    }))

  it.scoped("a signature over another session's challenge does not verify", () =>
    Effect.gen(function*() {
      const { call, create, sender } = yield* setup
      const a = (yield* create()).body.session_id
      const b = (yield* create()).body.session_id
      const ca = yield* call("POST", `/sessions/${a}/challenge`)
      yield* call("POST", `/sessions/${b}/challenge`)
      const r = yield* call("POST", `/sessions/${b}/respond`, { signature: sender.sign(ca.body.challenge_data) })
      expect(r.status).toBe(401)
    }))

  it.scoped("a replayed signature is rejected once the challenge was used", () =>
    Effect.gen(function*() {
      const { call, create, sender } = yield* setup
      const id = (yield* create()).body.session_id
      const challenge = yield* call("POST", `/sessions/${id}/challenge`)
      const body = { signature: sender.sign(challenge.body.challenge_data), user_pubkey: sender.pubkey }
      expect((yield* call("POST", `/sessions/${id}/respond`, body)).status).toBe(200)
      const replay = yield* call("POST", `/sessions/${id}/respond`, body)
      expect(replay.status).toBe(409)
      expect(replay.body.code).toBe("CHALLENGE_ALREADY_USED")
    }))

  it.scoped("an expired challenge is rejected; a new one can be issued and signed", () =>
    Effect.gen(function*() {
      const { call, create, sender } = yield* setup
      const id = (yield* create()).body.session_id
      const old = yield* call("POST", `/sessions/${id}/challenge`)
      yield* TestClock.adjust("5 minutes")
      const late = yield* call("POST", `/sessions/${id}/respond`, { signature: sender.sign(old.body.challenge_data) })
      expect(late.status).toBe(410)
      expect(late.body.code).toBe("CHALLENGE_EXPIRED")
      const fresh = yield* call("POST", `/sessions/${id}/challenge`)
      expect(fresh.status).toBe(201)
      expect(fresh.body.challenge_id).not.toBe(old.body.challenge_id)
      const stale = yield* call("POST", `/sessions/${id}/respond`, { signature: sender.sign(old.body.challenge_data) })
      expect(stale.status).toBe(401)
      const ok = yield* call("POST", `/sessions/${id}/respond`, { signature: sender.sign(fresh.body.challenge_data) })
      expect(ok.status).toBe(200)
    }))

  it.scoped("an expired session answers 410 and stays expired", () =>
    Effect.gen(function*() {
      const { call, create, sender } = yield* setup
      const id = (yield* create()).body.session_id
      const challenge = yield* call("POST", `/sessions/${id}/challenge`)
      yield* TestClock.adjust("30 minutes")
      const r = yield* call("POST", `/sessions/${id}/respond`, { signature: sender.sign(challenge.body.challenge_data) })
      expect(r.status).toBe(410)
      expect(r.body.code).toBe("SESSION_EXPIRED")
      expect((yield* call("GET", `/sessions/${id}`)).body.status).toBe("expired")
    }))

  it.scoped("commands in the wrong state are 409 with the ark error body", () =>
    Effect.gen(function*() {
      const { call, create } = yield* setup
      const id = (yield* create()).body.session_id
      const early = yield* call("POST", "/signing/ceremony/start", { session_id: id })
      expect(early.status).toBe(409)
      expect(early.body).toMatchObject({ code: "INVALID_STATE", status: "initiated" })
      yield* call("POST", `/sessions/${id}/challenge`)
      const twice = yield* call("POST", `/sessions/${id}/challenge`)
      expect(twice.status).toBe(409)
      expect((yield* call("POST", `/sessions/${id}/complete`)).status).toBe(409)
    }))

  it.scoped("malformed input is a 400 with the ark error body, and changes nothing", () =>
    Effect.gen(function*() {
      const { call, sender } = yield* setup
      const before = (yield* call("GET", "/sessions/stats")).body
      const notJson = yield* call("POST", "/sessions/create", "{not json")
      expect(notJson.status).toBe(400)
      expect(notJson.body).toMatchObject({ code: "VALIDATION_ERROR" })
      const badKey = yield* call("POST", "/sessions/create", { user_pubkey: "abc", session_type: "p2p_transfer" })
      expect(badKey.status).toBe(400)
      expect(badKey.body.error).toContain("user_pubkey")
      const badType = yield* call("POST", "/sessions/create", { user_pubkey: sender.pubkey, session_type: "swap" })
      expect(badType.status).toBe(400)
      const badAmount = yield* call("POST", "/sessions/create", {
        user_pubkey: sender.pubkey,
        session_type: "p2p_transfer",
        intent_data: { recipient_pubkey: sender.pubkey, amount: 1.5 }
      })
      expect(badAmount.status).toBe(400)
      expect(badAmount.body.code).toBe("INVALID_INTENT")
      const badSig = yield* call("POST", "/sessions/whatever/respond", { signature: "zz" })
      expect(badSig.status).toBe(400)
      expect((yield* call("GET", "/sessions/nope")).status).toBe(404)
      expect((yield* call("GET", "/sessions?status=bogus")).status).toBe(400)
      expect((yield* call("GET", "/sessions/stats")).body).toEqual(before)
    }))

  it.scoped("a hung arkd fails the step after 60 s instead of leaving the session signing", () =>
    Effect.gen(function*() {
      const { app, balance, call, authorised, sender } = yield* setup
      const id = yield* authorised
      yield* Context.get(app.context, ArkServerSimulator).setBehaviour("hang")
      yield* call("POST", "/signing/ceremony/start", { session_id: id })
      // Step 2 calls arkd, which never answers. Moving the clock past the
      // 60 s step budget must fail it; repeat in case the runner had not yet
      // armed its timer when the clock first moved.
      const done = yield* Effect.gen(function*() {
        for (let i = 0; i < 100; i++) {
          const s = yield* call("GET", `/signing/ceremony/${id}/status`)
          if (s.body.status !== "running") return s
          if (s.body.steps[1].status === "running") yield* TestClock.adjust("61 seconds")
          yield* sleep(10)
        }
        return yield* Effect.dieMessage("still running")
      })
      expect(done.body.status).toBe("failed")
      expect(done.body.error).toContain("timed out")
      expect((yield* call("GET", `/sessions/${id}`)).body.status).toBe("failed")
      // The reservation made at intent verification is released with it.
      expect(yield* balance(sender.pubkey)).toMatchObject({ balance: 1_000_000, reserved_balance: 0 })
    }))

  it.scoped("an unavailable arkd fails the ceremony with the reason; cancel and fail are clean", () =>
    Effect.gen(function*() {
      const { app, call, authorised } = yield* setup
      const id = yield* authorised
      const sim = Context.get(app.context, ArkServerSimulator)
      yield* sim.setBehaviour("fail")
      yield* call("POST", "/signing/ceremony/start", { session_id: id, auto_execute: false })
      expect((yield* call("POST", `/signing/ceremony/${id}/step/1`)).status).toBe(200)
      const step2 = yield* call("POST", `/signing/ceremony/${id}/step/2`)
      expect(step2.status).toBe(422)
      expect(step2.body).toMatchObject({ code: "STEP_FAILED", step: 2 })
      expect(step2.body.error).toContain("arkd unavailable")
      yield* sim.setBehaviour("normal")

      const other = yield* authorised
      yield* call("POST", "/signing/ceremony/start", { session_id: other, auto_execute: false })
      const cancelled = yield* call("POST", `/signing/ceremony/${other}/cancel`)
      expect(cancelled.body).toMatchObject({ status: "cancelled", session_status: "failed" })
      expect((yield* call("POST", `/signing/ceremony/${other}/step/1`)).status).toBe(409)
    }))

  it.scoped("list, stats and cleanup reflect the sessions", () =>
    Effect.gen(function*() {
      const { call, create, sender } = yield* setup
      const a = (yield* create()).body.session_id
      yield* create()
      yield* call("POST", `/sessions/${a}/fail`, { reason: "user went away" })
      const failed = yield* call("GET", `/sessions?user_pubkey=${sender.pubkey}&status=failed`)
      expect(failed.body.count).toBe(1)
      expect(failed.body.sessions[0]).toMatchObject({ session_id: a, failure_reason: "user went away" })
      const pending = yield* call("GET", "/sessions?status=pending")
      expect(pending.body.count).toBe(1)
      yield* TestClock.adjust("31 minutes")
      expect((yield* call("POST", "/sessions/cleanup")).body).toEqual({ expired_sessions: 1, timed_out_ceremonies: 0 })
      expect((yield* call("GET", "/sessions/stats")).body).toMatchObject({ total: 2, active: 0, by_status: { failed: 1, expired: 1 } })
    }))
})
