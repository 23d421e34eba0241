import { describe, expect, it } from "@effect/vitest"
import { schnorr } from "@noble/curves/secp256k1.js"
import { Effect } from "effect"
import fc from "fast-check"
import {
  CeremonyUnsuccessful,
  checkChallenge,
  layer as clientLayer,
  publicKeyOf,
  RelaygateClient,
  runSignedIntent,
  signChallenge
} from "../../client/index.js"
import * as EpochsE from "../../core/epochs/errors.js"
import { challengeData, challengeMessage, intentHash } from "../../core/signing/challenge.js"
import * as SigningE from "../../core/signing/errors.js"
import { startApp } from "../support/http-app.js"

const withClient = <A, E>(program: Effect.Effect<A, E, RelaygateClient>) =>
  Effect.gen(function*() {
    const app = yield* startApp()
    return yield* program.pipe(Effect.provide(clientLayer({ baseUrl: app.baseUrl })))
  })

const wallet = () => ({ secretKey: schnorr.utils.randomSecretKey() })

describe("the typed client against the real app", () => {
  it.scopedLive("error responses decode to each module's domain errors", () =>
    withClient(Effect.gen(function*() {
      const client = yield* RelaygateClient
      const missing = yield* Effect.flip(client.sessions.get({ path: { session_id: "no-such-session" } }))
      expect(missing).toBeInstanceOf(SigningE.SessionNotFound)
      expect(missing).toMatchObject({ _tag: "SessionNotFound", session_id: "no-such-session" })

      const unsigned = yield* Effect.flip(client["epochs-assignments"].current({ urlParams: {} }))
      expect(unsigned).toBeInstanceOf(EpochsE.InvalidRequest)
      expect((unsigned as EpochsE.InvalidRequest).messages.length).toBeGreaterThan(0)

      // A forged signature: the ark 401 comes back as InvalidSignature and can be caught by tag.
      const s = yield* client.sessions.create({ payload: { user_pubkey: publicKeyOf(wallet()), session_type: "p2p_transfer", intent_data: { recipient_pubkey: publicKeyOf(wallet()), amount: 1, asset_id: "BTC" } } })
      yield* client.sessions.challenge({ path: { session_id: s.session_id } })
      const caught = yield* client.sessions.respond({ path: { session_id: s.session_id }, payload: { signature: "11".repeat(64) } }).pipe(
        Effect.as("accepted"),
        Effect.catchTag("InvalidSignature", (e) => Effect.succeed(e._tag))
      )
      expect(caught).toBe("InvalidSignature")
    })), 120_000)

  it.scopedLive("runSignedIntent completes a funded transfer; an unfunded one ends as CeremonyUnsuccessful and moves nothing", () =>
    withClient(Effect.gen(function*() {
      const client = yield* RelaygateClient
      const sender = wallet()
      const recipient = publicKeyOf(wallet())
      const intent = { recipient_pubkey: recipient, amount: 7_000, asset_id: "BTC" }
      const balance = (who: string) => client.assets.balance({ path: { user_pubkey: who, asset_id: "BTC" } })

      const unfunded = yield* Effect.flip(runSignedIntent({ key: sender, session_type: "p2p_transfer", intent_data: intent, pollEvery: "50 millis" }))
      expect(unfunded).toBeInstanceOf(CeremonyUnsuccessful)
      expect(unfunded).toMatchObject({ status: "failed" })
      expect((yield* balance(recipient)).available_balance).toBe(0)

      yield* client.assets.mint({ path: { asset_id: "BTC" }, payload: { user_pubkey: publicKeyOf(sender), amount: 20_000 } })
      const done = yield* runSignedIntent({ key: sender, session_type: "p2p_transfer", intent_data: intent, pollEvery: "50 millis" })
      expect(done).toMatchObject({ status: "completed", completed_steps: 6 })
      expect(done.ark_txid).toMatch(/^[0-9a-f]{64}$/)
      expect((yield* balance(publicKeyOf(sender))).available_balance).toBe(13_000)
      expect((yield* balance(recipient)).available_balance).toBe(7_000)
    })), 120_000)
})

describe("checkChallenge and signChallenge (what a wallet does before signing)", () => {
  const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"))
  const intent = fc.record({ recipient_pubkey: hex32, amount: fc.integer({ min: 1, max: 1e9 }), asset_id: fc.constantFrom("BTC", "gBTC") })
  const binding = (session_id: string, user_pubkey: string, intent_data: Record<string, unknown>) =>
    challengeData({ session_id, user_pubkey, gateway_pubkey: "ab".repeat(32), intent_hash: intentHash(intent_data), nonce: "cd".repeat(16), expires_at: 1_700_000_000_000 })

  it("accepts the challenge binding exactly its session, key and intent, and names the field of any other", () => {
    fc.assert(fc.property(fc.uuid(), hex32, intent, intent, hex32, (sid, user, mine, theirs, otherUser) => {
      expect(checkChallenge(binding(sid, user, mine), { session_id: sid, user_pubkey: user, intent_data: mine })).toBeUndefined()
      const sameIntent = JSON.stringify(mine) === JSON.stringify(theirs)
      expect(checkChallenge(binding(sid, user, theirs), { session_id: sid, user_pubkey: user, intent_data: mine })?.field).toBe(sameIntent ? undefined : "intent_hash")
      expect(checkChallenge(binding(sid, otherUser, mine), { session_id: sid, user_pubkey: user, intent_data: mine })?.field).toBe(otherUser === user ? undefined : "user_pubkey")
      expect(checkChallenge(binding(`${sid}x`, user, mine), { session_id: sid, user_pubkey: user, intent_data: mine })?.field).toBe("session_id")
    }), { numRuns: 200 })
    expect(checkChallenge("not json", { session_id: "s", user_pubkey: "u", intent_data: {} })?.field).toBe("encoding")
  })

  it("signChallenge is a BIP-340 signature over sha256(challenge_data) by the wallet key", () => {
    const key = wallet()
    const data = binding("s-1", publicKeyOf(key), { amount: 1 })
    const sig = signChallenge(data, key)
    expect(schnorr.verify(Buffer.from(sig, "hex"), challengeMessage(data), Buffer.from(publicKeyOf(key), "hex"))).toBe(true)
    expect(schnorr.verify(Buffer.from(sig, "hex"), challengeMessage(`${data} `), Buffer.from(publicKeyOf(key), "hex"))).toBe(false)
  })
})

